import type { Database } from "../../../db/client";
import {
	type Compared,
	comparedMetrics,
	type IncidentFigures,
	leadTimeMedians,
	type MetricsRow,
} from "../../../db/metrics";
import { HOUR } from "../../../http/datetime";
import { BANDS_SOURCE, type Band } from "../../../metrics/bands";
import {
	CHART_WEEKS,
	change,
	DELIVERY_DAYS,
	type DeliveryScope,
	deliveryFilter,
	EVERY,
	type Figure,
	figures,
	incidentCards,
	unitFor,
	type Weekly,
	weekly,
} from "../../../metrics/dora";
import { BarChart, LineChart, oneDecimal } from "../../chart";

/** The period the charts cover, named alike in their titles and under their headings. */
const CHART_PERIOD = `Last ${CHART_WEEKS} weeks, the current week partial`;
/** What the charts' last slot, the current week, is. */
const THIS_WEEK = "this week, so far";

export type Delivery = Weekly & {
	metrics: MetricsRow;
	/** The same figures for the 90 days before. */
	previous: MetricsRow;
	/** The incident-based figures of both periods. */
	incidents: Compared<IncidentFigures>;
	/** The environment the figures are for; undefined for every environment. */
	environment?: string;
	/** The environments one may choose from: those the service (or the team's services) deployed to. */
	environments: string[];
};

/**
 * A service's or a team's delivery figures for `environment` (undefined: every
 * environment) as of `now`, incidents blaming deploys up to `windowHours` before them.
 */
export async function delivery(
	db: Database,
	scope: DeliveryScope,
	now: number,
	environments: string[],
	environment: string | undefined,
	windowHours: number,
): Promise<Delivery> {
	const filter = deliveryFilter(scope, environment, now);
	const [{ current: metrics, previous, incidents }, medians] = await Promise.all([
		comparedMetrics(db, filter, windowHours * HOUR),
		leadTimeMedians(db, filter),
	]);
	return { metrics, previous, incidents, ...weekly(filter, now, metrics.buckets, medians), environment, environments };
}

export function formatDuration(ms: number | null): string {
	if (ms === null) return "—";
	const unit = unitFor(ms);
	return `${oneDecimal(ms / unit.ms)} ${unit.short}`;
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
const incidentsCount = (n: number) => `${n} ${n === 1 ? "incident" : "incidents"}`;
const percent = (rate: number | null) => (rate === null ? "—" : `${Math.round(rate * 100)}%`);
/** A change between two rates, in percentage points. */
const percentPoints = (change: number) => `${Math.round(change * 100)} points`;

/**
 * How a figure moved since the previous period: ↑ or ↓, by how much, and in
 * words whether that is better or worse (the colour only repeats it).
 */
function Change({ figure, format }: { figure: Figure; format: (change: number) => string }) {
	const against = `the previous ${DELIVERY_DAYS} days`;
	const moved = change(figure, format);
	switch (moved.kind) {
		case "no comparison":
			return (
				<div class="change">
					No comparison: {moved.missing === "current" ? "none in this period" : `none in ${against}`}
				</div>
			);
		case "same":
			return <div class="change">Same as {against}</div>;
		case "moved":
			return (
				<div class={`change ${moved.verdict}`}>
					{moved.direction === "up" ? "↑" : "↓"} {moved.size} vs {against}, <span class="verdict">{moved.verdict}</span>
				</div>
			);
	}
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

function Card(props: {
	label: string;
	figure: string;
	detail: string;
	values: Figure;
	/** A change's size, as the figure is shown (e.g. "2.5 h"). */
	format: (change: number) => string;
	explain: string;
}) {
	return (
		<div class="card">
			<div class="label">{props.label}</div>
			<div class="figure">{props.figure}</div>
			<div class="label">{props.detail}</div>
			<Change figure={props.values} format={props.format} />
			<BandLine band={props.values.band} />
			<p class="explain">{props.explain}</p>
		</div>
	);
}

export function DeliverySection({ delivery }: { delivery: Delivery }) {
	const { metrics: m, deploysPerWeek, leadTime, leadTimeUnit } = delivery;
	const values = figures(m, delivery.previous);
	const rate = values.change_failure_rate.current;
	const byIncidents = incidentCards(delivery.incidents, m, delivery.previous);
	const incidents = delivery.incidents.current;
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
					figure={`${oneDecimal(values.deployment_frequency.current)} per week`}
					detail={deploysCount(m.total)}
					values={values.deployment_frequency}
					format={(change) => `${oneDecimal(change)} per week`}
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
					values={values.lead_time}
					format={formatDuration}
					explain="From the commit's authoring time (else its commit time) to its deploy."
				/>
				<Card
					label="Change failure rate"
					figure={percent(rate)}
					detail={`${m.failed} failed, ${m.rollbacks} rolled back`}
					values={values.change_failure_rate}
					format={percentPoints}
					explain="Share of deploys with a failure status, or that rolled back to an earlier commit."
				/>
				<Card
					label="Time to restore (median)"
					figure={formatDuration(m.restore.median)}
					detail={`${m.restore.count} restored, ${m.restore.unrestored} not yet`}
					values={values.time_to_restore}
					format={formatDuration}
					explain="From a failed deploy to the next successful one in the same environment."
				/>
			</div>
			<h3>From incidents</h3>
			<div class="cards">
				<Card
					label="Change failure rate, by incidents"
					figure={percent(byIncidents.change_failure_rate.current)}
					detail={`${incidents.failedChanges} of ${deploysCount(m.total)} blamed by ${incidentsCount(incidents.count)}`}
					values={byIncidents.change_failure_rate}
					format={percentPoints}
					explain="Share of deploys an incident named, or that were their service's latest before an incident began."
				/>
				<Card
					label="Time to restore, by incidents (median)"
					figure={formatDuration(incidents.restore.median)}
					detail={`${incidents.restore.count} resolved, ${incidents.open} still open`}
					values={byIncidents.time_to_restore}
					format={formatDuration}
					explain="From an incident's start to its resolution."
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
