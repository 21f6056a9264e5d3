import { Hono } from "hono";
import { z } from "zod";
import { findServices, type Service } from "../../db/catalog";
import { countDeploys, listDeploys, numberedUnderAlias } from "../../db/deploys";
import { integrationNames } from "../../db/integrations";
import { exportResponse } from "../../deploys/export";
import { deployCursor, deployFilters, deploysPage, loadDeploy, toFilter } from "../../deploys/query";
import type { AppEnv } from "../../env";
import { DAY } from "../../http/datetime";
import { object, optionalText, validate } from "../../http/validation";
import { STATUSES } from "../../model/status";
import { Empty, IntegrationName, type NamedIntegration, Pager, StatusBadge, Table, Time } from "../components";
import { DeployTable } from "../deploy-table";
import { Page } from "../layout";
import { signedIn } from "../security";

const PAGE_SIZE = 50;

/** The filters a link may carry: the API's, so a URL works the same on both. */
type FilterName = keyof typeof deployFilters;
const FILTER_NAMES = Object.keys(deployFilters) as FilterName[];
/** Filters with a field of their own in the form; the others ride along hidden. */
const SHOWN: readonly FilterName[] = ["service", "environment", "deployer", "status", "from", "to"];

/** A date input's day as the instant it starts (UTC), which the API's date-time schema takes. */
const dayStart = (value: unknown) =>
	typeof value === "string" && value.trim() !== "" ? `${value.trim()}T00:00:00Z` : value;

const pageQuery = object({
	...deployFilters,
	from: z.preprocess(dayStart, deployFilters.from),
	to: z.preprocess(dayStart, deployFilters.to),
	cursor: optionalText({ max: 512 }),
});

/**
 * The list's total counts no further than this, then reads "1,000+": a count
 * reads an index entry per deploy counted, and a page view should not cost
 * D1 reads in proportion to the whole history. Past it, the CSV has them all.
 */
const COUNT_CAP = 1_000;

/** The request's filters, validated, with `to` covering its whole day (the schema reads its first instant). */
function listQuery(raw: Record<string, string>) {
	const query = validate(pageQuery, raw);
	return { ...query, to: query.to === undefined ? undefined : query.to + DAY };
}

type Filters = Partial<Record<FilterName, string>>;

/** The non-blank filters of the request, as typed: what the form shows and the links carry. */
function filtersOf(query: Record<string, string>): Filters {
	return Object.fromEntries(FILTER_NAMES.flatMap((name) => (query[name]?.trim() ? [[name, query[name]]] : [])));
}

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

function FilterForm({ filters, services }: { filters: Filters; services: Service[] }) {
	// A service given by alias (a suggestion's link) has no option of its own; keep it selected.
	const unlisted = filters.service && !services.some((s) => s.id === filters.service) ? filters.service : undefined;
	return (
		<form method="get" action="/deploys" class="filters">
			{FILTER_NAMES.filter((name) => !SHOWN.includes(name) && filters[name]).map((name) => (
				<input type="hidden" name={name} value={filters[name]} />
			))}
			<label>
				Service
				<select name="service">
					<option value="">Any</option>
					{unlisted && (
						<option value={unlisted} selected>
							{unlisted}
						</option>
					)}
					{services.map((s) => (
						<option value={s.id} selected={s.id === filters.service}>
							{s.name}
						</option>
					))}
				</select>
			</label>
			<label>
				Environment
				<input name="environment" value={filters.environment ?? ""} />
			</label>
			<label>
				Deployer
				<input name="deployer" type="text" inputmode="email" placeholder="e-mail" value={filters.deployer ?? ""} />
			</label>
			<label>
				Status
				<select name="status">
					<option value="">Any</option>
					{STATUSES.map((status) => (
						<option value={status} selected={status === filters.status}>
							{status.replaceAll("_", " ")}
						</option>
					))}
				</select>
			</label>
			<label>
				From
				<input name="from" type="date" value={filters.from ?? ""} />
			</label>
			<label>
				To
				<input name="to" type="date" value={filters.to ?? ""} />
			</label>
			<div>
				<button type="submit">Filter</button>
			</div>
		</form>
	);
}

/** For a first visit: where deploys come from, and how to send one by hand. */
function NoDeploysYet({ origin }: { origin: string }) {
	const example = `curl -X POST '${origin}/integrations/deploy/<your integration's token>' \\
  -H 'Content-Type: application/json' \\
  -d '{"service": "my-service", "environment": "production", "description": "First deploy",
       "deployed_at": "${new Date().toISOString()}", "deployer": {"email": "you@example.com"}}'`;
	return (
		<Empty title="No deploys yet">
			<p>
				Pipelines report deploys to an integration's secret URL. <a href="/integrations/new">Create an integration</a>,
				then send one:
			</p>
			<pre>{example}</pre>
		</Empty>
	);
}

/** Whether anything at all has been deployed: tells an empty filter from an empty tracker. */
async function anyDeploys(db: AppEnv["Variables"]["db"]) {
	return (await listDeploys(db, { limit: 1 })).length > 0;
}

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

export const deploysPages = new Hono<AppEnv>()
	.use(...signedIn)
	.get("/", async (c) => {
		const db = c.var.db;
		const raw = c.req.query();
		const query = listQuery(raw);
		const filters = filtersOf(raw);
		const before = deployCursor(query.cursor);
		const [services, filter] = await Promise.all([findServices(db), toFilter(db, query)]);
		const page = await deploysPage(db, { ...filter, before }, PAGE_SIZE);
		const [total, marked] = await Promise.all([
			// A first page with no next one holds them all: no need to count.
			!before && !page.nextCursor ? page.deploys.length : countDeploys(db, filter, COUNT_CAP),
			numberedUnderAlias(db, page.deploys),
		]);
		const matchless = page.deploys.length === 0 && (await anyDeploys(db));
		return c.html(
			<Page title="Deploys" section="deploys">
				<h1>Deploys</h1>
				<FilterForm filters={filters} services={services} />
				{page.deploys.length > 0 ? (
					<>
						<ListSummary total={total} filters={filters} />
						<DeployTable deploys={page.deploys} marked={marked} />
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
					<NoDeploysYet origin={new URL(c.req.url).origin} />
				)}
			</Page>,
		);
	})
	// The API's CSV export, for a signed-in browser (the API wants the bearer token), with the list's filters.
	.get("/export.csv", (c) => exportResponse(c.var.db, listQuery(c.req.query()), "csv"))
	.get("/:id", async (c) => {
		const db = c.var.db;
		const found = await loadDeploy(db, c.req.param("id"));
		const [[integration], marked] = await Promise.all([
			integrationNames(db, [found.deploy.integrationId]),
			numberedUnderAlias(db, [found]),
		]);
		return c.html(<Detail found={found} integration={integration} aliasNumbered={marked.size > 0} />);
	});
