import { allow } from "../../../access/guard";
import { incidentWindowHours } from "../../../catalog/settings";
import { findServices } from "../../../db/catalog";
import type { Database } from "../../../db/client";
import { countDeploys, listDeploys, numberedUnderAlias } from "../../../db/deploys";
import { findTeams } from "../../../db/teams";
import { exportResponse } from "../../../deploys/export";
import { deployCursor, deploysPage, toFilter } from "../../../deploys/query";
import { factory } from "../../../factory";
import { blamesOnPage } from "../../../incidents/incidents";
import { handSentDeploy } from "../../../pipelines/snippets";
import { Empty, Pager } from "../../components";
import { DeployTable } from "../../deploy-table";
import { Page } from "../../layout";
import { FilterForm, type Filters, filtersOf, listQuery } from "./filters";

const PAGE_SIZE = 50;

/**
 * The list's total counts no further than this, then reads "1,000+": a count
 * reads an index entry per deploy counted, and a page view should not cost
 * D1 reads in proportion to the whole history. Past it, the CSV has them all.
 */
const COUNT_CAP = 1_000;

const withQuery = (path: string, params: Record<string, string>) => {
	const search = new URLSearchParams(params).toString();
	return search ? `${path}?${search}` : path;
};
const deploysUrl = (params: Record<string, string>) => withQuery("/deploys", params);

const formatCount = (count: number) =>
	count > COUNT_CAP ? `${COUNT_CAP.toLocaleString("en-US")}+` : count.toLocaleString("en-US");

/** How many deploys the filters select, a way back to all of them, and the same selection as a CSV file. */
function ListSummary({ total, filters }: { total: number; filters: Filters }) {
	const filtered = Object.keys(filters).length > 0;
	return (
		<p class="list-summary">
			<strong>
				{formatCount(total)} {total === 1 ? "deploy" : "deploys"}
			</strong>
			{filtered && (total === 1 ? " matches these filters" : " match these filters")}
			{filtered && (
				<>
					{" · "}
					<a href="/deploys">Clear filters</a>
				</>
			)}
			{" · "}
			<a href={withQuery("/deploys/export.csv", filters)} download>
				Download CSV
			</a>
		</p>
	);
}

/** For a first visit: where deploys come from, and how to send one by hand. */
function NoDeploysYet() {
	return (
		<Empty title="No deploys yet">
			<p>
				Pipelines report deploys to an integration's secret URL. <a href="/integrations/new">Create an integration</a>,
				then send one with its URL in <code>DEPLOY_WEBHOOK_URL</code>:
			</p>
			<pre>{handSentDeploy()}</pre>
		</Empty>
	);
}

/** Whether anything at all has been deployed: tells an empty filter from an empty tracker. */
async function anyDeploys(db: Database) {
	return (await listDeploys(db, { limit: 1 })).length > 0;
}

/** The deploy list, filtered, and the same selection as a CSV file. */
export const deployList = factory
	.createApp()
	.get("/", allow("viewer"), async (c) => {
		const db = c.var.db;
		const raw = c.req.query();
		const query = listQuery(raw);
		const filters = filtersOf(raw);
		const before = deployCursor(query.cursor);
		const [services, teams, filter, windowHours] = await Promise.all([
			findServices(db),
			findTeams(db),
			toFilter(db, query),
			incidentWindowHours(db),
		]);
		const page = await deploysPage(db, { ...filter, before }, PAGE_SIZE);
		const [total, marked, blames] = await Promise.all([
			// A first page with no next one holds them all: no need to count.
			!before && !page.nextCursor ? page.deploys.length : countDeploys(db, filter, COUNT_CAP),
			numberedUnderAlias(db, page.deploys),
			blamesOnPage(db, page.deploys, windowHours),
		]);
		const matchless = page.deploys.length === 0 && (await anyDeploys(db));
		return c.html(
			<Page title="Deploys" section="deploys">
				<h1>Deploys</h1>
				<FilterForm filters={filters} services={services} teams={teams} />
				{page.deploys.length > 0 ? (
					<>
						<ListSummary total={total} filters={filters} />
						<DeployTable deploys={page.deploys} marked={marked} blames={blames} />
						<Pager
							first={query.cursor ? deploysUrl(filters) : undefined}
							next={page.nextCursor && deploysUrl({ ...filters, cursor: page.nextCursor })}
						/>
					</>
				) : matchless ? (
					<Empty title="No deploys match these filters">
						<p>
							<a href="/deploys">Clear the filters</a>
						</p>
					</Empty>
				) : (
					<NoDeploysYet />
				)}
			</Page>,
		);
	})
	// The API's CSV export, for a signed-in browser (the API wants the bearer token), with the list's filters.
	.get("/export.csv", allow("viewer"), (c) => exportResponse(c.var.db, listQuery(c.req.query()), "csv"));
