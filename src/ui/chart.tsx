import type { Child } from "hono/jsx";

/** One point per slot along the x axis; `null` means no value there (a gap, not zero). */
export type Series = { label: string; value: number | null }[];

type ChartProps = {
	/** Unique on the page: the SVG's title and description are referenced by id. */
	id: string;
	title: string;
	series: Series;
	/** What the values count, shown above the y axis and read out with each value. */
	unit: string;
	/** Shown instead of the chart when no point has a value above zero. */
	empty: string;
	/**
	 * What the last slot is while it is still filling up, e.g. "this week, so far":
	 * its mark is drawn apart, its reading and a legend under the chart say so.
	 */
	partial?: string;
};

// The drawing's own coordinates; the SVG scales to its container through the viewBox.
const WIDTH = 420;
const HEIGHT = 200;
const LEFT = 36;
const RIGHT = 8;
const TOP = 22;
const BOTTOM = 26;
const PLOT_WIDTH = WIDTH - LEFT - RIGHT;
const PLOT_HEIGHT = HEIGHT - TOP - BOTTOM;

/** Coordinates to one decimal: enough for any screen, and the markup stays short. */
const round = (n: number) => Math.round(n * 10) / 10;

/** A figure to at most one decimal: short enough for an axis label or a card. */
export const oneDecimal = (v: number) => String(round(v));

/**
 * The smallest of 1, 2, 4, 6, 8, 10 × 10ⁿ at or above `max`, so the axis ends on a
 * round number and halves to another; 1 when there is nothing above zero to scale.
 */
function niceCeiling(max: number): number {
	if (!(max > 0)) return 1;
	const power = 10 ** Math.floor(Math.log10(max));
	const step = [1, 2, 4, 6, 8, 10].find((s) => s * power >= max * (1 - 1e-9)) ?? 10;
	return step * power;
}

/** Where slot `i`'s centre is, and where value `v` is, in the drawing's coordinates. */
function scales(series: Series) {
	const values = series.map((p) => p.value ?? 0);
	const top = niceCeiling(Math.max(...values));
	const slot = PLOT_WIDTH / series.length;
	return {
		top,
		slot,
		x: (i: number) => round(LEFT + (i + 0.5) * slot),
		y: (v: number) => round(TOP + PLOT_HEIGHT - (v / top) * PLOT_HEIGHT),
	};
}

const hasData = (series: Series) => series.some((p) => p.value !== null && p.value > 0);

/** Whether slot `i` is the partial last one. */
const isPartial = ({ series, partial }: Pick<ChartProps, "series" | "partial">, i: number) =>
	partial !== undefined && i === series.length - 1;

/** What slot `i` reads out: its label (and, if partial, that it is), and its value. */
function reading({ series, unit, partial }: Pick<ChartProps, "series" | "unit" | "partial">, i: number) {
	const p = series[i];
	if (!p) return "";
	const label = isPartial({ series, partial }, i) ? `${p.label} (${partial})` : p.label;
	return `${label}: ${p.value === null ? "none" : `${oneDecimal(p.value)} ${unit}`}`;
}

/** The frame every chart shares: title and description for screen readers, gridlines, and both axes' labels. */
function Frame({ id, title, series, unit, partial, children }: Omit<ChartProps, "empty"> & { children: Child }) {
	const { top, x, y } = scales(series);
	const ticks = top >= 2 ? [0, top / 2, top] : [0, top];
	return (
		<svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-labelledby={`${id}-title ${id}-desc`}>
			<title id={`${id}-title`}>{title}</title>
			<desc id={`${id}-desc`}>{series.map((_, i) => reading({ series, unit, partial }, i)).join("; ")}</desc>
			<text x={LEFT} y={12}>
				{unit}
			</text>
			{ticks.map((t) => (
				<>
					<line class="grid" x1={LEFT} x2={WIDTH - RIGHT} y1={y(t)} y2={y(t)} />
					<text x={LEFT - 6} y={y(t) + 4} text-anchor="end">
						{oneDecimal(t)}
					</text>
				</>
			))}
			{series.map(
				(p, i) =>
					// Every other slot from the newest, so the labels never overlap.
					(series.length - 1 - i) % 2 === 0 && (
						<text x={x(i)} y={HEIGHT - 8} text-anchor="middle">
							{p.label}
						</text>
					),
			)}
			{children}
		</svg>
	);
}

/**
 * The container, or what to say instead when there is nothing to draw. A
 * partial last slot gets a legend line: `swatch`, a mark like its own, and what it is.
 */
function Chart({ series, empty, marks, swatch, ...frame }: ChartProps & { marks: Child; swatch: Child }) {
	if (!hasData(series)) {
		return (
			<div class="chart">
				<p class="muted">{empty}</p>
			</div>
		);
	}
	const last = series.at(-1);
	return (
		<div class="chart">
			<Frame series={series} {...frame}>
				{marks}
			</Frame>
			{frame.partial && last && (
				<p class="chart-legend">
					<svg viewBox="0 0 12 12" aria-hidden="true">
						{swatch}
					</svg>
					{last.label}: {frame.partial}
				</p>
			)}
		</div>
	);
}

/** A bar per slot with a value above zero. */
export function BarChart(props: ChartProps) {
	const { slot, x, y } = scales(props.series);
	const bars = props.series.map((p, i) =>
		p.value ? (
			<rect
				class={isPartial(props, i) ? "bar partial" : "bar"}
				x={round(x(i) - slot * 0.35)}
				y={y(p.value)}
				width={round(slot * 0.7)}
				height={round(y(0) - y(p.value))}
			>
				<title>{reading(props, i)}</title>
			</rect>
		) : null,
	);
	return <Chart {...props} marks={bars} swatch={<rect class="bar partial" x={1} y={1} width={10} height={10} />} />;
}

type Located = { i: number; label: string; value: number };

/** Runs of consecutive values, so a slot without one breaks the line instead of pretending it was zero. */
function runs(series: Series): Located[][] {
	const result: Located[][] = [[]];
	series.forEach(({ label, value }, i) => {
		if (value === null) result.push([]);
		else result.at(-1)?.push({ i, label, value });
	});
	return result.filter((run) => run.length > 0);
}

/**
 * A line through the slots that have a value, with a dot on each; the way
 * into a partial last slot is dashed and its dot hollow.
 */
export function LineChart(props: ChartProps) {
	const { x, y } = scales(props.series);
	const line = (points: Located[], partial: boolean) =>
		points.length > 1 && (
			<polyline
				class={partial ? "line partial" : "line"}
				points={points.map((p) => `${x(p.i)},${y(p.value)}`).join(" ")}
			/>
		);
	const lines = runs(props.series).map((run) => {
		const complete = run.filter((p) => !isPartial(props, p.i));
		return (
			<>
				{line(complete, false)}
				{complete.length < run.length && line(run.slice(-2), true)}
				{run.map((p) => (
					<circle class={isPartial(props, p.i) ? "dot partial" : "dot"} cx={x(p.i)} cy={y(p.value)} r={3.5}>
						<title>{reading(props, p.i)}</title>
					</circle>
				))}
			</>
		);
	});
	return <Chart {...props} marks={lines} swatch={<circle class="dot partial" cx={6} cy={6} r={4} />} />;
}
