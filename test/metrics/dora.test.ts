import { describe, expect, it } from "vitest";
import type { MetricsRow } from "../../src/db/metrics";
import { DAY, HOUR } from "../../src/http/datetime";
import { change, chosenEnvironment, deliveryFilter, EVERY, type Figure, figures, weekly } from "../../src/metrics/dora";
import { PRODUCTION } from "../../src/model/environment";

const MINUTE = 60_000;

/** A window's metrics: `total` deploys and nothing else, unless given. */
function row(fields: Partial<MetricsRow> = {}): MetricsRow {
	return {
		buckets: [],
		total: 0,
		failed: 0,
		rollbacks: 0,
		failedChanges: 0,
		leadTime: { count: 0, median: null, p90: null },
		restore: { count: 0, median: null, p90: null, unrestored: 0 },
		...fields,
	};
}

const leadTime = (median: number) => ({ leadTime: { count: 1, median, p90: median } });
const restore = (median: number) => ({ restore: { count: 1, median, p90: median, unrestored: 0 } });

/** Each card's band. */
const bandsOf = (current: MetricsRow) =>
	Object.fromEntries(Object.entries(figures(current, row())).map(([metric, figure]) => [metric, figure.band]));

describe("the delivery cards' bands, over the 90 days", () => {
	it("rates nothing but the frequency when nothing was deployed: no deploys is low, not unknown", () => {
		expect(bandsOf(row())).toEqual({
			deployment_frequency: "low",
			lead_time: null,
			change_failure_rate: null,
			time_to_restore: null,
		});
	});

	it("puts a figure right at a limit in the band the report gives it", () => {
		// A deploy a day (90 in 90 days), a lead time of exactly a day, 10 % failed, restored in exactly an hour.
		const atLimits = row({ total: 90, failedChanges: 9, ...leadTime(DAY), ...restore(HOUR) });
		expect(bandsOf(atLimits)).toEqual({
			deployment_frequency: "elite",
			lead_time: "high",
			change_failure_rate: "high",
			time_to_restore: "high",
		});
	});

	it("and a figure just past a limit in the next band", () => {
		const pastLimits = row({ total: 89, failedChanges: 9, ...leadTime(DAY - 1), ...restore(HOUR - 1) });
		expect(bandsOf(pastLimits)).toEqual({
			deployment_frequency: "high",
			lead_time: "elite",
			change_failure_rate: "medium",
			time_to_restore: "elite",
		});
	});
});

describe("the comparison with the previous 90 days", () => {
	it("sets each card's figure beside the previous window's, with the way it improves", () => {
		const current = row({ total: 90, failedChanges: 9, ...leadTime(2 * HOUR), ...restore(HOUR) });
		const previous = row({ total: 45, failedChanges: 9, ...leadTime(3 * HOUR) });
		const projected = Object.fromEntries(
			Object.entries(figures(current, previous)).map(([metric, { current, previous, better }]) => [
				metric,
				{ current, previous, better },
			]),
		);
		expect(projected).toEqual({
			deployment_frequency: { current: 7, previous: 3.5, better: "up" },
			lead_time: { current: 2 * HOUR, previous: 3 * HOUR, better: "down" },
			change_failure_rate: { current: 0.1, previous: 0.2, better: "down" },
			time_to_restore: { current: HOUR, previous: null, better: "down" },
		});
	});

	const figure = (current: number | null, previous: number | null, better: Figure["better"] = "down"): Figure => ({
		current,
		previous,
		better,
		band: null,
	});
	const tenths = (n: number) => n.toFixed(1);

	it("says which way a figure moved, by how much as shown, and whether that is better", () => {
		expect(change(figure(2, 3.25), tenths)).toEqual({
			kind: "moved",
			direction: "down",
			size: "1.3",
			verdict: "better",
		});
		expect(change(figure(2, 3.25, "up"), tenths)).toEqual({
			kind: "moved",
			direction: "down",
			size: "1.3",
			verdict: "worse",
		});
		expect(change(figure(5, 1), tenths)).toEqual({ kind: "moved", direction: "up", size: "4.0", verdict: "worse" });
	});

	it("calls a change too small to show at the card's precision no change", () => {
		expect(change(figure(2, 2), tenths)).toEqual({ kind: "same" });
		expect(change(figure(2.04, 2), tenths)).toEqual({ kind: "same" });
		expect(change(figure(2.06, 2), tenths)).toEqual({ kind: "moved", direction: "up", size: "0.1", verdict: "worse" });
	});

	it("compares nothing when either window has no figure", () => {
		expect(change(figure(null, 2), tenths)).toEqual({ kind: "no comparison", missing: "current" });
		expect(change(figure(2, null), tenths)).toEqual({ kind: "no comparison", missing: "previous" });
		expect(change(figure(null, null), tenths)).toEqual({ kind: "no comparison", missing: "current" });
	});
});

describe("the weekly charts", () => {
	// A Wednesday: its week, begun on Monday 23 November, is partial.
	const now = Date.parse("2026-11-25T12:00:00Z");
	const filter = deliveryFilter({ serviceId: "service-id" }, "production", now);

	it("query the 90 days to now in weeks from the Monday on or before their start", () => {
		expect(filter).toEqual({
			serviceId: "service-id",
			environment: "production",
			from: now - 90 * DAY,
			to: now,
			bucketOrigin: Date.parse("2026-08-24T00:00:00Z"),
			bucketSize: 7 * DAY,
		});
	});

	it("show the last 12 weeks, the partial current one last, with weeks without deploys at zero", () => {
		// Week 13 from 24 August is the current one; week 1 is older than the charts' 12.
		const { deploysPerWeek } = weekly(
			filter,
			now,
			[
				[1, 9],
				[2, 4],
				[12, 5],
				[13, 2],
			],
			[],
		);
		expect(deploysPerWeek).toHaveLength(12);
		expect(deploysPerWeek.slice(0, 2)).toEqual([
			{ label: "Sep 7", value: 4 },
			{ label: "Sep 14", value: 0 },
		]);
		expect(deploysPerWeek.slice(-2)).toEqual([
			{ label: "Nov 16", value: 5 },
			{ label: "Nov 23", value: 2 },
		]);
	});

	it("give the median lead time in the unit that suits the longest, none for weeks without one", () => {
		const { leadTime, leadTimeUnit } = weekly(
			filter,
			now,
			[],
			[
				[10, 30 * MINUTE],
				[13, 3 * HOUR],
			],
		);
		expect({ leadTimeUnit, last4: leadTime.slice(-4).map((point) => point.value) }).toEqual({
			leadTimeUnit: "hours",
			last4: [0.5, null, null, 3],
		});
		expect(weekly(filter, now, [], [[13, 90 * MINUTE]]).leadTimeUnit).toEqual("minutes");
		expect(weekly(filter, now, [], [[13, 2 * DAY]]).leadTimeUnit).toEqual("days");
	});
});

describe("the environment the figures are for", () => {
	const environments = ["staging", "Production"];

	it("is production unless another is asked for, as the service spells it", () => {
		expect(chosenEnvironment(undefined, environments, PRODUCTION)).toEqual("Production");
		expect(chosenEnvironment("STAGING", environments, PRODUCTION)).toEqual("staging");
	});

	it("is the first environment whose key the production setting names", () => {
		expect(chosenEnvironment(undefined, ["Live", "Production"], ["live"])).toEqual("Live");
		expect(chosenEnvironment(undefined, ["staging", "PRD"], ["live", "prd"])).toEqual("PRD");
	});

	it("is every environment when asked, or when the service has no production", () => {
		expect(chosenEnvironment(EVERY, environments, PRODUCTION)).toEqual(undefined);
		expect(chosenEnvironment(undefined, ["staging"], PRODUCTION)).toEqual(undefined);
		expect(chosenEnvironment(undefined, environments, ["live"])).toEqual(undefined);
	});

	it("is the one asked for even if the service never deployed there", () => {
		expect(chosenEnvironment("qa", environments, PRODUCTION)).toEqual("qa");
	});
});
