import { allow } from "../../../access/guard";
import { numberedUnderAlias } from "../../../db/deploys";
import { integrationNames } from "../../../db/integrations";
import { loadDeploy } from "../../../deploys/query";
import { factory } from "../../../factory";
import { IntegrationName, type NamedIntegration, StatusBadge, Table, Time } from "../../components";
import { Page } from "../../layout";

/** An http(s) URL, the only kind a page may link to: `javascript:` and the like stay text. */
function isWebUrl(url: string): boolean {
	try {
		return ["http:", "https:"].includes(new URL(url).protocol);
	} catch {
		return false;
	}
}

type Found = Awaited<ReturnType<typeof loadDeploy>>;

const reported = (value: unknown) => value !== null && value !== undefined && value !== "";

/** Facts as a definition list, skipping those never reported. */
function Facts({ rows }: { rows: [string, unknown][] }) {
	return (
		<dl class="facts">
			{rows
				.filter(([, value]) => reported(value))
				.map(([term, value]) => (
					<>
						<dt>{term}</dt>
						<dd>{value}</dd>
					</>
				))}
		</dl>
	);
}

const person = (name: string | null, email: string | null) =>
	[name, email && `<${email}>`].filter(Boolean).join(" ") || null;

function Commit({ deploy: d }: { deploy: Found["deploy"] }) {
	const rows: [string, unknown][] = [
		["SHA", d.commitSha && <span class="mono">{d.commitSha}</span>],
		["Branch", d.commitBranch],
		["Author", person(d.authorName, d.authorEmail)],
		["Authored", d.authoringDate === null ? null : <Time ms={d.authoringDate} relative={false} />],
		["Committer", person(d.committerName, d.committerEmail)],
		["Committed", d.commitDate === null ? null : <Time ms={d.commitDate} relative={false} />],
	];
	if (!d.commitMessage && !rows.some(([, value]) => reported(value))) {
		return <p class="muted">No commit was reported.</p>;
	}
	return (
		<div class="panel">
			<Facts rows={rows} />
			{d.commitMessage && <pre>{d.commitMessage}</pre>}
		</div>
	);
}

function History({ history }: { history: Found["history"] }) {
	if (history.length === 0) return <p class="muted">No status was reported.</p>;
	return (
		<Table head={["Status", "Sent as", "Arrived"]}>
			{history.map((step) => (
				<tr>
					<td>
						<StatusBadge status={step.status} />
					</td>
					<td class="mono">{step.raw}</td>
					<td>
						<Time ms={step.at} relative={false} />
					</td>
				</tr>
			))}
		</Table>
	);
}

function Detail({
	found,
	integration,
	aliasNumbered,
}: {
	found: Found;
	integration: NamedIntegration | undefined;
	/** Numbered under its alias before the alias joined the service (see `numberedUnderAlias`). */
	aliasNumbered: boolean;
}) {
	const { deploy: d, serviceName, history } = found;
	const service = d.serviceId && serviceName !== null ? serviceName : d.serviceAlias;
	return (
		<Page title={`Deploy #${d.deployNumber} of ${service}`} section="deploys">
			<h1>
				Deploy #{d.deployNumber} of {service}
			</h1>
			<div class="panel">
				<Facts
					rows={[
						[
							"Service",
							d.serviceId && serviceName !== null ? (
								<a href={`/services/${d.serviceId}`}>{serviceName}</a>
							) : (
								<>
									{d.serviceAlias} <a href="/suggestions">(unmatched: see suggestions)</a>
								</>
							),
						],
						["Environment", d.environment ?? <span class="muted">—</span>],
						["Deployed at", <Time ms={d.deployedAt} relative={false} />],
						["Received at", <Time ms={d.receivedAt} relative={false} />],
						[
							"Deploy number",
							<>
								<span class="mono">{d.deployNumber}</span>
								{aliasNumbered && (
									<span class="muted">
										{" "}
										given under “{d.serviceAlias}” before that alias joined the service, whose own count goes on
										separately
									</span>
								)}
							</>,
						],
						[
							"Status",
							<>
								<StatusBadge status={d.status} />
								{d.statusRaw && d.statusRaw !== d.status && <span class="muted"> sent as “{d.statusRaw}”</span>}
							</>,
						],
						["Description", d.description],
						[
							"Deploy URL",
							d.deployUrl && (isWebUrl(d.deployUrl) ? <a href={d.deployUrl}>{d.deployUrl}</a> : d.deployUrl),
						],
						["Dedup id", d.dedupId && <span class="mono">{d.dedupId}</span>],
						["Integration", <IntegrationName integration={integration} id={d.integrationId} />],
						["Agent", d.agent],
						["Deployer", person(d.deployerName, d.deployerEmail)],
						["Deployer id", d.deployerId && <span class="mono">{d.deployerId}</span>],
					]}
				/>
			</div>
			<h2>Commit</h2>
			<Commit deploy={d} />
			<h2>Status history</h2>
			<History history={history} />
		</Page>
	);
}

/** One deploy: what was reported, its commit, its status history. */
export const deployShow = factory.createApp().get("/:id", allow("viewer"), async (c) => {
	const db = c.var.db;
	const found = await loadDeploy(db, c.req.param("id"));
	const [[integration], marked] = await Promise.all([
		integrationNames(db, [found.deploy.integrationId]),
		numberedUnderAlias(db, [found]),
	]);
	return c.html(<Detail found={found} integration={integration} aliasNumbered={marked.size > 0} />);
});
