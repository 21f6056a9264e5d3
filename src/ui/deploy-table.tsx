import type { ListedDeploy } from "../db/deploys";
import type { Blame } from "../db/incidents";
import { StatusBadge, Table, Time } from "./components";

/**
 * A deploy's description as one line: its first line that holds text. The
 * webhook refuses a blank description, so there is always one (the commit
 * message is not needed as a stand-in).
 */
const summaryOf = ({ description }: ListedDeploy["deploy"]) =>
	description.split(/\r?\n/).find((line) => line.trim() !== "") ?? description;

/** The numbers, by alias, of the deploys shown that were numbered under their alias (see `numberedUnderAlias`). */
function AliasNumbersNote({ deploys, marked }: { deploys: ListedDeploy[]; marked: ReadonlySet<string> }) {
	// Each number once (each integration counts apart, so two may share one), oldest first as they were numbered.
	const byAlias = new Map<string, Set<string>>();
	for (const { deploy: d } of deploys.toReversed()) {
		if (marked.has(d.id))
			byAlias.set(d.serviceAlias, (byAlias.get(d.serviceAlias) ?? new Set()).add(`#${d.deployNumber}`));
	}
	if (byAlias.size === 0) return null;
	return (
		<p class="muted table-note">
			{[...byAlias].map(([alias, numbers]) => (
				<>
					* {[...numbers].join(", ")} arrived under “{alias}” before that alias joined the service, and keep the numbers
					the alias's own count gave them; the service's count goes on separately.{" "}
				</>
			))}
		</p>
	);
}

/** A deploy's incident markers: each incident that blames it, linked to its service's list of incidents. */
function IncidentMarkers({ blames }: { blames: readonly Blame[] }) {
	return blames.map((incident) => (
		<>
			{" "}
			<a class="badge failure" href={`/services/${incident.serviceId}#incident-${incident.id}`} title={incident.title}>
				incident
			</a>
		</>
	));
}

/**
 * Deploys as rows: used by the deploy list, and the service and integration pages.
 * `marked` holds the deploys numbered under their alias, which get a `*` and a note;
 * `blames`, the incidents that blame each deploy (see the README's "Incidents").
 */
export function DeployTable({
	deploys,
	showService = true,
	marked = new Set(),
	blames = new Map(),
}: {
	deploys: ListedDeploy[];
	showService?: boolean;
	marked?: ReadonlySet<string>;
	blames?: ReadonlyMap<string, readonly Blame[]>;
}) {
	return (
		<>
			<Table
				head={[
					"Deployed",
					...(showService ? ["Service"] : []),
					"Environment",
					"Status",
					"#",
					"Description",
					<span class="hide-narrow">Commit</span>,
					<span class="hide-narrow">Deployer</span>,
				]}
			>
				{deploys.map(({ deploy: d, serviceName }) => (
					<tr>
						<td>
							<a href={`/deploys/${d.id}`}>
								<Time ms={d.deployedAt} />
							</a>
						</td>
						{showService && (
							<td>
								{d.serviceId && serviceName !== null ? (
									<a href={`/services/${d.serviceId}`}>{serviceName}</a>
								) : (
									<span title="No service claims this alias yet">
										{d.serviceAlias} <span class="muted">(unmatched)</span>
									</span>
								)}
							</td>
						)}
						<td>{d.environment ?? <span class="muted">—</span>}</td>
						<td>
							<StatusBadge status={d.status} />
							<IncidentMarkers blames={blames.get(d.id) ?? []} />
						</td>
						<td class="mono">
							{d.deployNumber}
							{marked.has(d.id) && <span title={`Numbered under the alias “${d.serviceAlias}”`}>*</span>}
						</td>
						<td class="description" title={d.description}>
							{summaryOf(d)}
						</td>
						<td class="hide-narrow mono" title={d.commitMessage ?? undefined}>
							{d.commitSha?.slice(0, 8) ?? <span class="muted">—</span>}
						</td>
						<td class="hide-narrow">{d.deployerName ?? d.deployerEmail ?? <span class="muted">—</span>}</td>
					</tr>
				))}
			</Table>
			<AliasNumbersNote deploys={deploys} marked={marked} />
		</>
	);
}
