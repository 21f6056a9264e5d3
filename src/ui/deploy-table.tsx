import type { ListedDeploy } from "../db/deploys";
import { StatusBadge, Table, Time } from "./components";

/** Deploys as rows: used by the deploy list, and the service and integration pages. */
export function DeployTable({ deploys, showService = true }: { deploys: ListedDeploy[]; showService?: boolean }) {
	return (
		<Table
			head={[
				"Deployed",
				...(showService ? ["Service"] : []),
				"Environment",
				"Status",
				"#",
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
					</td>
					<td class="mono">{d.deployNumber}</td>
					<td class="hide-narrow mono" title={d.commitMessage ?? undefined}>
						{d.commitSha?.slice(0, 8) ?? <span class="muted">—</span>}
					</td>
					<td class="hide-narrow">{d.deployerName ?? d.deployerEmail ?? <span class="muted">—</span>}</td>
				</tr>
			))}
		</Table>
	);
}
