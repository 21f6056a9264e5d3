import { allow } from "../../../access/guard";
import { readService } from "../../../catalog/services";
import { incidentWindowHours, productionEnvironments } from "../../../catalog/settings";
import type { Service } from "../../../db/catalog";
import type { Database } from "../../../db/client";
import { type ListedDeploy, numberedUnderAlias } from "../../../db/deploys";
import { currentDeploys, type EnvironmentState } from "../../../db/environments";
import { type Blame, findIncidents, type Incident } from "../../../db/incidents";
import { deployCursor, deploysPage } from "../../../deploys/query";
import { factory } from "../../../factory";
import { MAX_NAME } from "../../../http/validation";
import { blamesOnPage } from "../../../incidents/incidents";
import { chosenEnvironment } from "../../../metrics/dora";
import { handSentDeploy } from "../../../pipelines/snippets";
import { Empty, Pager, StatusBadge, Table, Time } from "../../components";
import { DeployTable } from "../../deploy-table";
import { doneNotice } from "../../forms";
import { Page } from "../../layout";
import { may } from "../../viewer";
import { Attempt } from "./attempt";
import { type Delivery, DeliverySection, delivery } from "./delivery";
import { IncidentList, LISTED_INCIDENTS } from "./incidents";
import { NOTICES } from "./notices";

const PAGE_SIZE = 20;

function WhatRunsWhere({ rows }: { rows: EnvironmentState[] }) {
	return (
		<Table head={["Environment", "Live since", "#", "Status", <span class="hide-narrow">Commit</span>]}>
			{rows.map(({ environment, live, attempt }) => (
				<tr>
					<td>{environment ?? <span class="muted">(none)</span>}</td>
					{live ? (
						<>
							<td>
								<a href={`/deploys/${live.deploy.id}`}>
									<Time ms={live.deploy.deployedAt} />
								</a>
								{attempt && <Attempt {...attempt.deploy} />}
							</td>
							<td class="mono">{live.deploy.deployNumber}</td>
							<td>
								<StatusBadge status={live.deploy.status} />
							</td>
							<td class="hide-narrow mono" title={live.deploy.commitMessage ?? undefined}>
								{live.deploy.commitSha?.slice(0, 8) ?? <span class="muted">—</span>}
							</td>
						</>
					) : (
						<>
							<td>
								<span class="muted">Nothing live yet</span>
								{attempt && <Attempt {...attempt.deploy} />}
							</td>
							<td />
							<td />
							<td class="hide-narrow" />
						</>
					)}
				</tr>
			))}
		</Table>
	);
}

/** The environment choice as a query parameter to carry along, if one was made. */
const environmentParam = (value: string | undefined): Record<string, string> => (value ? { environment: value } : {});

type Timeline = {
	rows: ListedDeploy[];
	marked: Set<string>;
	/** The incidents blaming each deploy shown, for its markers. */
	blames: Map<string, Blame[]>;
	newest?: string;
	older?: string;
};

/**
 * A page of the service's deploys, newest first, after the `before=` cursor
 * if there is one. Its links keep the page's other choices (`keep`).
 */
async function timeline(
	db: Database,
	serviceId: string,
	cursor: string | undefined,
	keep: Record<string, string>,
	windowHours: number,
): Promise<Timeline> {
	const before = deployCursor(cursor);
	const page = await deploysPage(db, { serviceId, before }, PAGE_SIZE);
	const link = (params: Record<string, string>) => {
		const query = new URLSearchParams({ ...keep, ...params }).toString();
		return `/services/${serviceId}${query ? `?${query}` : ""}#deploys`;
	};
	const [marked, blames] = await Promise.all([
		numberedUnderAlias(db, page.deploys),
		blamesOnPage(db, page.deploys, windowHours, serviceId),
	]);
	return {
		rows: page.deploys,
		marked,
		blames,
		newest: before ? link({}) : undefined,
		older: page.nextCursor ? link({ before: page.nextCursor }) : undefined,
	};
}

function ServicePage(props: {
	service: Service;
	current: EnvironmentState[];
	delivery: Delivery;
	incidents: Incident[];
	timeline: Timeline;
	notice?: string;
}) {
	const { service, current, timeline } = props;
	return (
		<Page title={service.name} section="services" notice={props.notice}>
			<div class="heading">
				<h1>{service.name}</h1>
				{service.archivedAt !== null && <span class="badge archived">Archived</span>}
				<span class="muted">
					{service.aliases.length > 0 ? `Aliases: ${service.aliases.join(", ")}` : "No aliases"}
				</span>
				<span class="muted">
					{service.team ? (
						<>
							Team: <a href={`/teams/${service.team.id}`}>{service.team.name}</a>
						</>
					) : (
						"No team"
					)}
				</span>
				{may("editor") && (
					<div class="actions">
						<a class="button secondary" href={`/services/${service.id}/edit`}>
							Edit
						</a>
					</div>
				)}
			</div>
			{service.archivedAt !== null && (
				<p class="muted">
					This service is archived: the services list leaves it out. Deploys under its aliases are still recorded here.
				</p>
			)}

			<h2>What runs where</h2>
			{current.length === 0 ? (
				<Empty title="No deploys yet">
					<p>
						Send one with curl, with the URL of one of your <a href="/integrations">integrations</a> in{" "}
						<code>DEPLOY_WEBHOOK_URL</code>:
					</p>
					<pre>{handSentDeploy(service.aliases[0] ?? service.name)}</pre>
				</Empty>
			) : (
				<WhatRunsWhere rows={current} />
			)}

			<h2>Delivery</h2>
			<DeliverySection delivery={props.delivery} />

			<h2 id="incidents">Incidents</h2>
			<IncidentList serviceId={service.id} incidents={props.incidents} />

			<h2 id="deploys">Deploys</h2>
			{timeline.rows.length === 0 ? (
				<p class="muted">{timeline.newest ? "No older deploys." : "No deploys yet."}</p>
			) : (
				<DeployTable deploys={timeline.rows} showService={false} marked={timeline.marked} blames={timeline.blames} />
			)}
			<Pager first={timeline.newest} next={timeline.older} />
		</Page>
	);
}

/** A service's page: what runs where, its delivery figures, and its deploys. */
export const serviceShow = factory.createApp().get("/:id", allow("viewer"), async (c) => {
	const db = c.var.db;
	const now = Date.now();
	const [service, windowHours] = await Promise.all([readService(db, c.req.param("id")), incidentWindowHours(db)]);
	// A merged service's page is the one it went into.
	if (service.mergedInto) return c.redirect(`/services/${service.mergedInto}`, 301);
	// Environment names are at most MAX_NAME characters; a longer one matches nothing anyway.
	const asked = c.req.query("environment")?.slice(0, MAX_NAME);
	const [current, page, production, incidents] = await Promise.all([
		currentDeploys(db, service.id),
		timeline(db, service.id, c.req.query("before"), environmentParam(asked), windowHours),
		productionEnvironments(db),
		findIncidents(db, { serviceId: service.id, limit: LISTED_INCIDENTS }),
	]);
	const environments = current.flatMap(({ environment }) => (environment === null ? [] : [environment]));
	const chosen = chosenEnvironment(asked, environments, production);
	const summary = await delivery(db, { serviceId: service.id }, now, environments, chosen, windowHours);
	return c.html(
		<ServicePage
			service={service}
			current={current}
			delivery={summary}
			incidents={incidents}
			timeline={page}
			notice={doneNotice(c, NOTICES)}
		/>,
	);
});
