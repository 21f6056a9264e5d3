import { type Context, Hono } from "hono";
import {
	addAlias,
	createService,
	loadService,
	newAlias,
	rename,
	renameService,
	serviceInput,
} from "../../catalog/services";
import { findServices, type Service } from "../../db/catalog";
import type { Database } from "../../db/client";
import { type ListedDeploy, numberedUnderAlias } from "../../db/deploys";
import {
	currentDeploys,
	type DeploySummary,
	type EnvironmentState,
	type ServiceOverview,
	serviceOverviews,
} from "../../db/environments";
import { comparedMetrics, leadTimeMedians, type MetricsFilter, type MetricsRow } from "../../db/metrics";
import { deployCursor, deploysPage } from "../../deploys/query";
import type { AppEnv } from "../../env";
import { DAY, formatDatetime } from "../../http/datetime";
import type { ApiError, ErrorObject } from "../../http/errors";
import { MAX_NAME, validate } from "../../http/validation";
import { BANDS_SOURCE, type Band, bands, failureRate } from "../../metrics/bands";
import { bucketStart, WEEK } from "../../metrics/windows";
import { environmentKey, PRODUCTION } from "../../model/environment";
import { BarChart, LineChart, oneDecimal, type Series } from "../chart";
import { Empty, FormErrors, Pager, StatusBadge, Table, Time } from "../components";
import { DeployTable } from "../deploy-table";
import { attempt, doneNotice, readForm, splitList } from "../forms";
import { Page } from "../layout";
import { signedIn } from "../security";

const RECENT_DAYS = 30;
const DELIVERY_DAYS = 90;
const CHART_WEEKS = 12;
/** The period the charts cover, named alike in their titles and under their headings. */
const CHART_PERIOD = `Last ${CHART_WEEKS} weeks, the current week partial`;
/** What the charts' last slot, the current week, is. */
const THIS_WEEK = "this week, so far";
const PAGE_SIZE = 20;

/** What a redirect after a change may ask the service page to confirm (see `doneNotice`). */
const NOTICES = {
	created: "The service was created.",
	renamed: "The service was renamed; its aliases stay as they were.",
	"alias-added": "The alias was added: deploys under it, earlier ones too, now belong to this service.",
	"alias-kept": "The service already had that alias.",
	accepted: "The service was created for the suggested alias, with the deploys already sent under it.",
} as const;
type Notice = keyof typeof NOTICES;

/** A service's page, confirming `notice` if given: for redirects here and from the suggestions. */
export const servicePath = (id: string, notice?: Notice) => `/services/${id}${notice ? `?done=${notice}` : ""}`;

/** A newer deploy that did not (or not yet) replace what runs: its number, status and age, linked. */
function Attempt({
	id,
	deployNumber,
	status,
	deployedAt,
}: Pick<DeploySummary, "id" | "deployNumber" | "status" | "deployedAt">) {
	return (
		<div class="attempt">
			Newer attempt <a href={`/deploys/${id}`}>#{deployNumber}</a> <StatusBadge status={status} />{" "}
			<Time ms={deployedAt} />
		</div>
	);
}

function ProductionCells({ overview }: { overview: ServiceOverview | undefined }) {
	const deploy = overview?.production;
	const attempt = overview?.attempt && <Attempt {...overview.attempt} />;
	if (!deploy) {
		return (
			<>
				<td>
					<span class="muted">Not deployed</span>
					{attempt}
				</td>
				<td />
				<td />
			</>
		);
	}
	return (
		<>
			<td>
				<a href={`/deploys/${deploy.id}`}>
					<Time ms={deploy.deployedAt} />
				</a>
				{attempt}
			</td>
			<td class="mono">{deploy.deployNumber}</td>
			<td>
				<StatusBadge status={deploy.status} />
			</td>
		</>
	);
}

function ServiceList({ services, overviews }: { services: Service[]; overviews: Map<string, ServiceOverview> }) {
	return (
		<Page title="Services" section="services">
			<div class="heading">
				<h1>Services</h1>
				<div class="actions">
					<a class="button" href="/services/new">
						New service
					</a>
				</div>
			</div>
			{services.length === 0 ? (
				<Empty title="No services yet">
					<p>
						To start tracking deploys, <a href="/integrations/new">create an integration</a> and send a deploy from your
						pipeline: the service it names shows up under <a href="/suggestions">Suggestions</a>, ready to accept. Or
						create the service first, with the names your pipelines use for it.
					</p>
					<a class="button" href="/integrations/new">
						New integration
					</a>{" "}
					<a class="button secondary" href="/services/new">
						New service
					</a>
				</Empty>
			) : (
				<Table head={["Service", "Aliases", "In production", "#", "Status", `Deploys, last ${RECENT_DAYS} days`]}>
					{services.map((service) => (
						<tr>
							<td>
								<a href={`/services/${service.id}`}>{service.name}</a>
							</td>
							<td>{service.aliases.join(", ") || <span class="muted">—</span>}</td>
							<ProductionCells overview={overviews.get(service.id)} />
							<td class="mono">{overviews.get(service.id)?.recentDeploys ?? 0}</td>
						</tr>
					))}
				</Table>
			)}
		</Page>
	);
}

function NewService({ name, aliases, errors }: { name: string; aliases: string; errors?: readonly ErrorObject[] }) {
	return (
		<Page title="New service" section="services">
			<h1>New service</h1>
			<FormErrors errors={errors} />
			<form method="post" action="/services" class="stack panel">
				<label>
					Name
					<input name="name" value={name} required maxlength={MAX_NAME} />
				</label>
				<label>
					Aliases
					<small>
						The names your pipelines send as <code>service</code>, one per line or separated by commas; letter case does
						not matter. Leave empty to use the name.
					</small>
					<textarea name="aliases">{aliases}</textarea>
				</label>
				<div>
					<button type="submit">Create service</button> <a href="/services">Cancel</a>
				</div>
			</form>
		</Page>
	);
}

/** A deploy a person can paste, with the service's own alias, for a service nothing was deployed to yet. */
function curlExample(alias: string, now: number): string {
	const body = JSON.stringify(
		{
			service: alias,
			environment: "production",
			description: "First deploy",
			deployed_at: formatDatetime(now).replace(/\.\d+Z$/, "Z"),
			deployer: { email: "you@example.com" },
		},
		null,
		2,
	);
	return [
		"curl -X POST '<the deploy endpoint of one of your integrations>' \\",
		"  -H 'Content-Type: application/json' \\",
		`  -d '${body.replaceAll("'", `'\\''`)}'`,
	].join("\n");
}

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

const UNITS = [
	{ name: "minutes", short: "min", ms: 60_000 },
	{ name: "hours", short: "h", ms: 3_600_000 },
	{ name: "days", short: "d", ms: DAY },
] as const;

/** The unit that keeps a duration around `ms` readable: minutes under two hours, hours under two days. */
const unitFor = (ms: number) => UNITS.findLast((u) => ms >= 2 * u.ms) ?? UNITS[0];

function formatDuration(ms: number | null): string {
	if (ms === null) return "—";
	const unit = unitFor(ms);
	return `${oneDecimal(ms / unit.ms)} ${unit.short}`;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const weekLabel = (start: number) => {
	const date = new Date(start);
	return `${MONTHS[date.getUTCMonth()]} ${date.getUTCDate()}`;
};

type Delivery = {
	metrics: MetricsRow;
	/** The same figures for the 90 days before. */
	previous: MetricsRow;
	deploysPerWeek: Series;
	leadTime: Series;
	leadTimeUnit: string;
	/** The environment the figures are for; undefined for every environment. */
	environment?: string;
	/** The environments one may choose from: those the service has deployed to. */
	environments: string[];
};

/** The `environment=` value that asks for every environment. */
const EVERY = "*";

/** The environment choice as a query parameter to carry along, if one was made. */
const environmentParam = (value: string | undefined): Record<string, string> => (value ? { environment: value } : {});

/**
 * Which environment the delivery figures are for: the one asked for, else
 * production (DORA's figures are about reaching users), else every environment.
 */
function chosenEnvironment(asked: string | undefined, environments: string[]): string | undefined {
	if (asked === EVERY) return undefined;
	// Shown as the service spells it now, whatever spelling the link had.
	const wanted = asked ? [environmentKey(asked)] : PRODUCTION;
	return environments.find((e) => wanted.includes(environmentKey(e))) ?? asked;
}

/**
 * The service's DORA figures over the last 90 days and the 90 days before,
 * and the last 12 weeks of them week by week. The 12 weeks lie inside the 90
 * days, so one metrics query by week answers both the figures and the bars.
 */
async function delivery(
	db: Database,
	serviceId: string,
	now: number,
	environments: string[],
	environment: string | undefined,
): Promise<Delivery> {
	const from = now - DELIVERY_DAYS * DAY;
	const filter: MetricsFilter = {
		serviceId,
		environment,
		from,
		to: now,
		bucketOrigin: bucketStart(from, "week"),
		bucketSize: WEEK,
	};
	const [{ current: metrics, previous }, medians] = await Promise.all([
		comparedMetrics(db, filter),
		leadTimeMedians(db, filter),
	]);
	const thisWeek = Math.floor((bucketStart(now, "week") - filter.bucketOrigin) / WEEK);
	const weeks = Array.from({ length: CHART_WEEKS }, (_, k) => thisWeek - CHART_WEEKS + 1 + k);
	const label = (bucket: number) => weekLabel(filter.bucketOrigin + bucket * WEEK);

	const counts = new Map(metrics.buckets);
	const leads = new Map(medians);
	const unit = unitFor(Math.max(0, ...weeks.map((w) => leads.get(w) ?? 0)));
	return {
		metrics,
		previous,
		deploysPerWeek: weeks.map((w) => ({ label: label(w), value: counts.get(w) ?? 0 })),
		leadTime: weeks.map((w) => {
			const ms = leads.get(w);
			return { label: label(w), value: ms === undefined ? null : ms / unit.ms };
		}),
		leadTimeUnit: unit.name,
		environment,
		environments,
	};
}

/** A GET form, so the choice is a link one can share and works without JavaScript. */
function EnvironmentChoice({ delivery }: { delivery: Delivery }) {
	return (
		<form method="get" class="inline">
			<label>
				Environment
				<select name="environment">
					<option value={EVERY} selected={delivery.environment === undefined}>
						Every environment
					</option>
					{delivery.environments.map((e) => (
						<option value={e} selected={e === delivery.environment}>
							{e}
						</option>
					))}
				</select>
			</label>
			<button type="submit" class="secondary">
				Show
			</button>
		</form>
	);
}

const deploysCount = (n: number) => `${n} ${n === 1 ? "deploy" : "deploys"}`;
const perWeek = (m: MetricsRow) => m.total / (DELIVERY_DAYS / 7);

type Comparison = {
	current: number | null;
	previous: number | null;
	/** A change's size, as the figure is shown (e.g. "2.5 h"). */
	format: (change: number) => string;
	/** Which way the figure improves. */
	better: "up" | "down";
};

/**
 * How a figure moved since the previous period: ↑ or ↓, by how much, and in
 * words whether that is better or worse (the colour only repeats it).
 */
function Change({ current, previous, format, better }: Comparison) {
	const against = `the previous ${DELIVERY_DAYS} days`;
	if (current === null || previous === null) {
		return <div class="change">No comparison: {current === null ? "none in this period" : `none in ${against}`}</div>;
	}
	const size = format(Math.abs(current - previous));
	if (current === previous || size === format(0)) return <div class="change">Same as {against}</div>;
	const up = current > previous;
	const verdict = up === (better === "up") ? "better" : "worse";
	return (
		<div class={`change ${verdict}`}>
			{up ? "↑" : "↓"} {size} vs {against}, <span class="verdict">{verdict}</span>
		</div>
	);
}

/** The DORA performance band a figure falls in; the README lists the thresholds. */
function BandLine({ band }: { band: Band | null }) {
	return (
		<div class={band ? `band band-${band}` : "band"}>
			{band ? (
				<>
					DORA band: <strong>{band}</strong>
				</>
			) : (
				"DORA band: none, nothing to rate"
			)}
		</div>
	);
}

function Card(
	props: { label: string; figure: string; detail: string; band: Band | null; explain: string } & Comparison,
) {
	return (
		<div class="card">
			<div class="label">{props.label}</div>
			<div class="figure">{props.figure}</div>
			<div class="label">{props.detail}</div>
			<Change {...props} />
			<BandLine band={props.band} />
			<p class="explain">{props.explain}</p>
		</div>
	);
}

function DeliverySection({ delivery }: { delivery: Delivery }) {
	const { metrics: m, previous, deploysPerWeek, leadTime, leadTimeUnit } = delivery;
	const band = bands(m, DELIVERY_DAYS * DAY);
	const rate = failureRate(m);
	return (
		<>
			<div class="section-head">
				<p class="muted">
					Last {DELIVERY_DAYS} days, {delivery.environment === undefined ? "every environment" : delivery.environment}.
					Each figure is compared with the {DELIVERY_DAYS} days before and given its band from the {BANDS_SOURCE}.
				</p>
				<EnvironmentChoice delivery={delivery} />
			</div>
			<div class="cards">
				<Card
					label="Deployment frequency"
					figure={`${oneDecimal(perWeek(m))} per week`}
					detail={deploysCount(m.total)}
					current={perWeek(m)}
					previous={perWeek(previous)}
					format={(change) => `${oneDecimal(change)} per week`}
					better="up"
					band={band.deployment_frequency}
					explain="Every deploy in the period, whatever its status."
				/>
				<Card
					label="Lead time for changes (median)"
					figure={formatDuration(m.leadTime.median)}
					detail={
						m.leadTime.count === 0
							? "No deploys with commit times"
							: `p90 ${formatDuration(m.leadTime.p90)} · ${deploysCount(m.leadTime.count)}`
					}
					current={m.leadTime.median}
					previous={previous.leadTime.median}
					format={formatDuration}
					better="down"
					band={band.lead_time}
					explain="From the commit's authoring time (else its commit time) to its deploy."
				/>
				<Card
					label="Change failure rate"
					figure={rate === null ? "—" : `${Math.round(rate * 100)}%`}
					detail={`${m.failed} failed, ${m.rollbacks} rolled back`}
					current={rate}
					previous={failureRate(previous)}
					format={(change) => `${Math.round(change * 100)} points`}
					better="down"
					band={band.change_failure_rate}
					explain="Share of deploys with a failure status, or that rolled back to an earlier commit."
				/>
				<Card
					label="Time to restore (median)"
					figure={formatDuration(m.restore.median)}
					detail={`${m.restore.count} restored, ${m.restore.unrestored} not yet`}
					current={m.restore.median}
					previous={previous.restore.median}
					format={formatDuration}
					better="down"
					band={band.time_to_restore}
					explain="From a failed deploy to the next successful one in the same environment."
				/>
			</div>
			<div class="grid-2">
				<div class="panel">
					<h3>Deploys per week</h3>
					<p class="muted">{CHART_PERIOD}.</p>
					<BarChart
						id="deploys-per-week"
						title={`Deploys per week, ${CHART_PERIOD.toLowerCase()}`}
						series={deploysPerWeek}
						unit="deploys"
						empty={`No deploys in the last ${CHART_WEEKS} weeks.`}
						partial={THIS_WEEK}
					/>
				</div>
				<div class="panel">
					<h3>Median lead time per week</h3>
					<p class="muted">{CHART_PERIOD}.</p>
					<LineChart
						id="lead-time-per-week"
						title={`Median lead time per week, ${CHART_PERIOD.toLowerCase()}, in ${leadTimeUnit}`}
						series={leadTime}
						unit={leadTimeUnit}
						empty={`No deploys with commit times in the last ${CHART_WEEKS} weeks.`}
						partial={THIS_WEEK}
					/>
				</div>
			</div>
		</>
	);
}

type Timeline = { rows: ListedDeploy[]; marked: Set<string>; newest?: string; older?: string };

/**
 * A page of the service's deploys, newest first, after the `before=` cursor
 * if there is one. Its links keep the page's other choices (`keep`).
 */
async function timeline(
	db: Database,
	serviceId: string,
	cursor: string | undefined,
	keep: Record<string, string>,
): Promise<Timeline> {
	const before = deployCursor(cursor);
	const page = await deploysPage(db, { serviceId, before }, PAGE_SIZE);
	const link = (params: Record<string, string>) => {
		const query = new URLSearchParams({ ...keep, ...params }).toString();
		return `/services/${serviceId}${query ? `?${query}` : ""}#deploys`;
	};
	return {
		rows: page.deploys,
		marked: await numberedUnderAlias(db, page.deploys),
		newest: before ? link({}) : undefined,
		older: page.nextCursor ? link({ before: page.nextCursor }) : undefined,
	};
}

function ServicePage(props: {
	service: Service;
	current: EnvironmentState[];
	delivery: Delivery;
	timeline: Timeline;
	notice?: string;
	now: number;
}) {
	const { service, current, timeline, now } = props;
	return (
		<Page title={service.name} section="services" notice={props.notice}>
			<div class="heading">
				<h1>{service.name}</h1>
				<span class="muted">
					{service.aliases.length > 0 ? `Aliases: ${service.aliases.join(", ")}` : "No aliases"}
				</span>
				<div class="actions">
					<a class="button secondary" href={`/services/${service.id}/edit`}>
						Edit
					</a>
				</div>
			</div>

			<h2>What runs where</h2>
			{current.length === 0 ? (
				<Empty title="No deploys yet">
					<p>
						Send one with curl, to the deploy endpoint of one of your <a href="/integrations">integrations</a>:
					</p>
					<pre>{curlExample(service.aliases[0] ?? service.name, now)}</pre>
				</Empty>
			) : (
				<WhatRunsWhere rows={current} />
			)}

			<h2>Delivery</h2>
			<DeliverySection delivery={props.delivery} />

			<h2 id="deploys">Deploys</h2>
			{timeline.rows.length === 0 ? (
				<p class="muted">{timeline.newest ? "No older deploys." : "No deploys yet."}</p>
			) : (
				<DeployTable deploys={timeline.rows} showService={false} marked={timeline.marked} />
			)}
			<Pager first={timeline.newest} next={timeline.older} />
		</Page>
	);
}

type Refusal = { form: "rename" | "alias"; value: string; error: ApiError };

function EditService({ service, refusal }: { service: Service; refusal?: Refusal }) {
	const errorsOf = (form: Refusal["form"]) => (refusal?.form === form ? refusal.error.errors : undefined);
	const typed = (form: Refusal["form"], fallback: string) => (refusal?.form === form ? refusal.value : fallback);
	return (
		<Page title={`Edit ${service.name}`} section="services">
			<h1>Edit {service.name}</h1>

			<h2>Rename</h2>
			<FormErrors errors={errorsOf("rename")} />
			<form method="post" action={`/services/${service.id}/rename`} class="stack panel">
				<label>
					Name
					<input name="name" value={typed("rename", service.name)} required maxlength={MAX_NAME} />
				</label>
				<div>
					<button type="submit">Rename</button> <a href={`/services/${service.id}`}>Cancel</a>
				</div>
			</form>

			<h2>Aliases</h2>
			<p>{service.aliases.length > 0 ? service.aliases.join(", ") : <span class="muted">None yet.</span>}</p>
			<FormErrors errors={errorsOf("alias")} />
			<form method="post" action={`/services/${service.id}/aliases`} class="stack panel">
				<label>
					Alias
					<small>Another name pipelines send for this service. Earlier deploys under it join the service.</small>
					<input name="alias" value={typed("alias", "")} required maxlength={MAX_NAME} />
				</label>
				<div>
					<button type="submit">Add alias</button> <a href={`/services/${service.id}`}>Cancel</a>
				</div>
			</form>
			<p class="muted">
				Aliases cannot be removed or moved to another service: deploys are matched to services by alias as they arrive,
				and the deploy endpoints remember which service owns each alias.
			</p>
		</Page>
	);
}

export const servicesPages = new Hono<AppEnv>()
	.use(...signedIn)
	.get("/", async (c) => {
		const since = Date.now() - RECENT_DAYS * DAY;
		const [services, overviews] = await Promise.all([findServices(c.var.db), serviceOverviews(c.var.db, since)]);
		return c.html(<ServiceList services={services} overviews={overviews} />);
	})
	.get("/new", (c) => c.html(<NewService name="" aliases="" />))
	.post("/", async (c) => {
		const form = await readForm(c);
		const aliases = splitList(form.aliases);
		const input = { name: form.name, aliases: aliases.length > 0 ? aliases : undefined };
		const created = await attempt(() => createService(c.var.db, validate(serviceInput, input), c.var.actor));
		if (created.ok) return c.redirect(servicePath(created.value.id, "created"), 303);
		return c.html(
			<NewService name={form.name ?? ""} aliases={form.aliases ?? ""} errors={created.error.errors} />,
			created.error.status,
		);
	})
	.get("/:id", async (c) => {
		const db = c.var.db;
		const now = Date.now();
		const service = await loadService(db, c.req.param("id"));
		// Environment names are at most MAX_NAME characters; a longer one matches nothing anyway.
		const asked = c.req.query("environment")?.slice(0, MAX_NAME);
		const [current, page] = await Promise.all([
			currentDeploys(db, service.id),
			timeline(db, service.id, c.req.query("before"), environmentParam(asked)),
		]);
		const environments = current.flatMap(({ environment }) => (environment === null ? [] : [environment]));
		const chosen = chosenEnvironment(asked, environments);
		const summary = await delivery(db, service.id, now, environments, chosen);
		return c.html(
			<ServicePage
				service={service}
				current={current}
				delivery={summary}
				timeline={page}
				notice={doneNotice(c, NOTICES)}
				now={now}
			/>,
		);
	})
	.get("/:id/edit", async (c) => c.html(<EditService service={await loadService(c.var.db, c.req.param("id"))} />))
	.post("/:id/rename", async (c) => {
		const id = c.req.param("id");
		const form = await readForm(c);
		const renamed = await attempt(() => renameService(c.var.db, id, validate(rename, form).name, c.var.actor));
		if (renamed.ok) return c.redirect(servicePath(id, "renamed"), 303);
		return refuse(c, id, { form: "rename", value: form.name ?? "", error: renamed.error });
	})
	.post("/:id/aliases", async (c) => {
		const id = c.req.param("id");
		const form = await readForm(c);
		const added = await attempt(() => addAlias(c.var.db, id, validate(newAlias, form).alias, c.var.actor));
		if (added.ok) return c.redirect(servicePath(id, added.value.added ? "alias-added" : "alias-kept"), 303);
		return refuse(c, id, { form: "alias", value: form.alias ?? "", error: added.error });
	});

/** The edit page again, with why a change was refused; an unknown service is a 404 page instead. */
async function refuse(c: Context<AppEnv>, id: string, refusal: Refusal) {
	if (refusal.error.status === 404) throw refusal.error;
	const service = await loadService(c.var.db, id);
	return c.html(<EditService service={service} refusal={refusal} />, refusal.error.status);
}
