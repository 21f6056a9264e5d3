import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { database } from "../../src/db/client";
import { type MetricsFilter, metricsStatement } from "../../src/db/metrics";
import {
	ADMIN,
	admin,
	api,
	call,
	examplePayload,
	expectError,
	integrationBeforeAll,
	postDeploy,
	unique,
} from "../helpers";

const integration = integrationBeforeAll("metrics tests");

const DAY = 86_400_000;

type Deploy = {
	/** deployed_at */
	at: string;
	/** commit.sha; a fresh one unless given, so no deploy is a rollback by accident. `null` sends no sha. */
	sha?: string | null;
	status?: string;
	environment?: string;
	/** commit.authoring_date */
	authored?: string;
	/** commit.date */
	committed?: string;
	dedup_id?: string;
};

/** Sends one deploy of `service` through the real webhook, insisting it was accepted. */
async function ship(service: string, d: Deploy) {
	const commit = {
		sha: d.sha === undefined ? crypto.randomUUID() : (d.sha ?? undefined),
		authoring_date: d.authored,
		date: d.committed,
	};
	const payload = examplePayload({
		service,
		deployed_at: d.at,
		environment: d.environment ?? "Production",
		status: d.status,
		commit,
		...(d.dedup_id ? { dedup_id: d.dedup_id } : {}),
	});
	const res = await postDeploy(integration.webhook_url, payload);
	expect(res.status).toBe(202);
}

async function shipAll(service: string, deploys: Deploy[]) {
	for (const d of deploys) await ship(service, d);
}

/** GET /api/metrics, insisting on a 200. */
async function metrics(params: Record<string, string>) {
	const res = await admin("GET", `/metrics?${new URLSearchParams(params)}`);
	expect(res.status).toBe(200);
	return res.body;
}

/** Day or week buckets as the API lists them, from `[first UTC day of the bucket, count]` pairs. */
const buckets = (entries: [string, number][]) =>
	entries.map(([day, count]) => ({ start: `${day}T00:00:00.000Z`, count }));

/** All of March 2024 (UTC): the window of the tests about one metric. */
const MARCH = { from: "2024-03-01T00:00:00Z", to: "2024-04-01T00:00:00Z" };

describe("GET /api/metrics", () => {
	it("answers the documented shape", async () => {
		const alias = unique("shape");
		await ship(alias, { at: "2024-01-02T06:00:00Z", status: "success", authored: "2024-01-02T05:00:00Z" });
		const body = await metrics({ service: alias, from: "2024-01-01T00:00:00Z", to: "2024-01-03T00:00:00Z" });
		expect(body).toEqual({
			window: { from: "2024-01-01T00:00:00.000Z", to: "2024-01-03T00:00:00.000Z", bucket: "day" },
			filters: { service: alias, team: null, environment: null },
			deployment_frequency: {
				total: 1,
				per_day: 0.5,
				buckets: buckets([
					["2024-01-01", 0],
					["2024-01-02", 1],
				]),
			},
			lead_time: { count: 1, median_seconds: 3600, p90_seconds: 3600 },
			change_failure_rate: { failed: 0, rollbacks: 0, total: 1, rate: 0 },
			time_to_restore: { count: 0, unrestored: 0, median_seconds: null, p90_seconds: null },
			incidents: {
				count: 0,
				open: 0,
				change_failure_rate: { failed: 0, total: 1, rate: 0 },
				time_to_restore: { count: 0, median_seconds: null, p90_seconds: null },
				attribution_window_hours: 24,
			},
			previous: {
				window: { from: "2023-12-30T00:00:00.000Z", to: "2024-01-01T00:00:00.000Z" },
				deployment_frequency: { total: 0, per_day: 0 },
				lead_time: { count: 0, median_seconds: null, p90_seconds: null },
				change_failure_rate: { failed: 0, rollbacks: 0, total: 0, rate: null },
				time_to_restore: { count: 0, unrestored: 0, median_seconds: null, p90_seconds: null },
				incidents: {
					count: 0,
					open: 0,
					change_failure_rate: { failed: 0, total: 0, rate: null },
					time_to_restore: { count: 0, median_seconds: null, p90_seconds: null },
				},
			},
			bands: {
				source: "2023 Accelerate State of DevOps Report",
				deployment_frequency: "high",
				lead_time: "elite",
				change_failure_rate: "elite",
				time_to_restore: null,
			},
		});
	});

	it("answers 401 without the admin token", async () => {
		const res = await call("/api/metrics");
		expect(res.status).toBe(401);
	});

	it("is in the OpenAPI document with its query parameters", async () => {
		const doc: any = await (await call("/api/openapi.json")).json();
		const parameters: { name: string; in: string; schema: any }[] = (
			doc.paths["/api/metrics"]?.get?.parameters ?? []
		).filter((p: { in?: string }) => p.in === "query");
		expect(parameters.map((p) => p.name).sort()).toEqual(["bucket", "environment", "from", "service", "team", "to"]);
		expect(parameters.find((p) => p.name === "bucket")?.schema.enum).toEqual(["day", "week"]);
	});

	it("answers zeros, empty buckets and nulls for a window with no deploys", async () => {
		const body = await metrics({
			service: unique("nothing"),
			from: "2024-01-01T00:00:00Z",
			to: "2024-01-04T00:00:00Z",
		});
		expect(body.deployment_frequency).toEqual({
			total: 0,
			per_day: 0,
			buckets: buckets([
				["2024-01-01", 0],
				["2024-01-02", 0],
				["2024-01-03", 0],
			]),
		});
		expect(body.lead_time).toEqual({ count: 0, median_seconds: null, p90_seconds: null });
		expect(body.change_failure_rate).toEqual({ failed: 0, rollbacks: 0, total: 0, rate: null });
		expect(body.time_to_restore).toEqual({ count: 0, unrestored: 0, median_seconds: null, p90_seconds: null });
	});
});

describe("deployment frequency", () => {
	it("counts deploys per UTC day, from inclusive, to exclusive, empty days as 0", async () => {
		const alias = unique("daily");
		await shipAll(alias, [
			{ at: "2024-02-29T23:59:59.999Z" }, // before the window
			{ at: "2024-03-01T00:00:00Z" }, // on `from`: counted
			{ at: "2024-03-01T15:00:00Z" },
			{ at: "2024-03-02T01:00:00+02:00" }, // 2024-03-01T23:00Z: the UTC day counts
			{ at: "2024-03-03T09:00:00Z" },
			{ at: "2024-03-03T12:00:00Z" },
			{ at: "2024-03-03T23:59:59.999Z" },
			{ at: "2024-03-04T00:00:00Z" }, // on `to`: not counted
		]);
		const body = await metrics({ service: alias, from: "2024-03-01T00:00:00Z", to: "2024-03-04T00:00:00Z" });
		expect(body.deployment_frequency).toEqual({
			total: 6,
			per_day: 2,
			buckets: buckets([
				["2024-03-01", 3],
				["2024-03-02", 0],
				["2024-03-03", 3],
			]),
		});
	});

	it("starts the first day bucket at the midnight before a mid-day from, counting only deploys from it on", async () => {
		const alias = unique("midday");
		await shipAll(alias, [
			{ at: "2024-03-01T06:00:00Z" },
			{ at: "2024-03-01T18:00:00Z" },
			{ at: "2024-03-02T06:00:00Z" },
			{ at: "2024-03-02T18:00:00Z" },
		]);
		const body = await metrics({ service: alias, from: "2024-03-01T12:00:00Z", to: "2024-03-02T12:00:00Z" });
		expect(body.deployment_frequency).toEqual({
			total: 2,
			per_day: 2,
			buckets: buckets([
				["2024-03-01", 1],
				["2024-03-02", 1],
			]),
		});
	});

	it("counts per ISO week starting Monday 00:00 UTC with bucket=week", async () => {
		const alias = unique("weekly");
		// 2024-03-03 is a Sunday, 2024-03-04 a Monday.
		await shipAll(alias, [
			{ at: "2024-03-03T11:00:00Z" }, // before `from`, though in the first week
			{ at: "2024-03-03T23:59:59Z" }, // week of Monday 2024-02-26
			{ at: "2024-03-04T00:00:00Z" }, // first instant of the week of 2024-03-04
			{ at: "2024-03-10T23:59:59Z" }, // last second of that week
			{ at: "2024-03-18T10:00:00Z" }, // week of 2024-03-18; the week of 2024-03-11 stays empty
		]);
		const body = await metrics({
			service: alias,
			from: "2024-03-03T12:00:00Z",
			to: "2024-03-19T00:00:00Z",
			bucket: "week",
		});
		expect(body.window).toEqual({ from: "2024-03-03T12:00:00.000Z", to: "2024-03-19T00:00:00.000Z", bucket: "week" });
		expect(body.deployment_frequency.total).toBe(4);
		expect(body.deployment_frequency.per_day).toBeCloseTo(4 / 15.5, 12);
		expect(body.deployment_frequency.buckets).toEqual(
			buckets([
				["2024-02-26", 1],
				["2024-03-04", 2],
				["2024-03-11", 0],
				["2024-03-18", 1],
			]),
		);
	});

	it("keeps ISO weeks across a year boundary", async () => {
		const alias = unique("new-year");
		// 2024-12-30 is a Monday; its week holds 2025-01-01.
		await shipAll(alias, [
			{ at: "2024-12-29T12:00:00Z" },
			{ at: "2025-01-01T12:00:00Z" },
			{ at: "2025-01-05T23:00:00Z" },
		]);
		const body = await metrics({
			service: alias,
			from: "2024-12-28T00:00:00Z",
			to: "2025-01-07T00:00:00Z",
			bucket: "week",
		});
		expect(body.deployment_frequency.buckets).toEqual(
			buckets([
				["2024-12-23", 1],
				["2024-12-30", 2],
				["2025-01-06", 0],
			]),
		);
	});
});

describe("lead time", () => {
	it("takes deployed_at − authoring_date, else − commit date; skips deploys without either and negative ones", async () => {
		const alias = unique("lead");
		await shipAll(alias, [
			// authoring_date wins over commit.date: 60 s
			{ at: "2024-03-10T12:00:00Z", authored: "2024-03-10T11:59:00Z", committed: "2024-03-09T12:00:00Z" },
			// commit.date alone: 120 s
			{ at: "2024-03-10T13:00:00Z", committed: "2024-03-10T12:58:00Z" },
			{ at: "2024-03-11T12:00:00Z", authored: "2024-03-11T11:50:00Z" }, // 600 s
			{ at: "2024-03-12T12:00:00Z", authored: "2024-03-12T11:00:00+00:00" }, // 3600 s
			{ at: "2024-03-12T15:00:00Z", authored: "2024-03-12T15:00:00+02:00" }, // 13:00Z: 7200 s
			{ at: "2024-03-12T16:00:00Z" }, // no commit dates: skipped
			{ at: "2024-03-12T17:00:00Z", authored: "2024-03-12T17:05:00Z" }, // clock skew: excluded
		]);
		const body = await metrics({ service: alias, ...MARCH });
		// Sorted: 60, 120, 600, 3600, 7200. Median: rank ceil(0.5 × 5) = 3; p90: rank ceil(0.9 × 5) = 5.
		expect(body.lead_time).toEqual({ count: 5, median_seconds: 600, p90_seconds: 7200 });
		expect(body.deployment_frequency.total).toBe(7);
	});

	it("uses nearest rank: an even count's median is the lower middle value, never an interpolation", async () => {
		const alias = unique("lead-even");
		await shipAll(
			alias,
			[40, 10, 30, 20].map((minutes, i) => ({
				at: `2024-03-1${i}T12:00:00Z`,
				authored: new Date(Date.parse(`2024-03-1${i}T12:00:00Z`) - minutes * 60_000).toISOString(),
			})),
		);
		// Sorted: 10, 20, 30, 40 minutes. Median: rank 2 (not 25 min); p90: rank ceil(3.6) = 4.
		expect((await metrics({ service: alias, ...MARCH })).lead_time).toEqual({
			count: 4,
			median_seconds: 1200,
			p90_seconds: 2400,
		});
	});

	it("takes the 9th of 10 values as p90 and the 5th as median", async () => {
		const alias = unique("lead-ten");
		await shipAll(
			alias,
			[7, 1, 10, 4, 2, 9, 3, 6, 8, 5].map((minutes, i) => ({
				at: `2024-03-${String(10 + i)}T12:00:00Z`,
				authored: new Date(Date.parse(`2024-03-${String(10 + i)}T12:00:00Z`) - minutes * 60_000).toISOString(),
			})),
		);
		// Ranks ceil(0.5 × 10) = 5 and ceil(0.9 × 10) = 9: 5 and 9 minutes (interpolation would say 5.5 and 9.1).
		expect((await metrics({ service: alias, ...MARCH })).lead_time).toEqual({
			count: 10,
			median_seconds: 300,
			p90_seconds: 540,
		});
	});

	it("takes the 7th of 7 values as p90: rank ceil(6.3), not a rounded 6", async () => {
		const alias = unique("lead-seven");
		await shipAll(
			alias,
			[3, 7, 1, 5, 2, 6, 4].map((minutes, i) => ({
				at: `2024-03-1${i}T12:00:00Z`,
				authored: new Date(Date.parse(`2024-03-1${i}T12:00:00Z`) - minutes * 60_000).toISOString(),
			})),
		);
		expect((await metrics({ service: alias, ...MARCH })).lead_time).toEqual({
			count: 7,
			median_seconds: 240,
			p90_seconds: 420,
		});
	});

	it("counts a lead time of zero, and keeps milliseconds", async () => {
		const alias = unique("lead-zero");
		await ship(alias, { at: "2024-03-10T12:00:00Z", authored: "2024-03-10T12:00:00Z" });
		await ship(alias, { at: "2024-03-11T12:00:01.5Z", authored: "2024-03-11T12:00:00Z" });
		expect((await metrics({ service: alias, ...MARCH })).lead_time).toEqual({
			count: 2,
			median_seconds: 0,
			p90_seconds: 1.5,
		});
	});
});

/** The two kinds of stream: an alias no service claims, and a service (deploys find it through its alias). */
const STREAMS = [
	["an unclaimed alias", false],
	["a service", true],
] as const;

/** A fresh alias to deploy under, claimed by a new service when `claimed`. */
async function freshAlias(prefix: string, claimed: boolean) {
	const alias = unique(prefix);
	if (claimed) await api.createService(unique(prefix), [alias]);
	return alias;
}

describe.each(STREAMS)("rollbacks in the stream of %s", (_, claimed) => {
	it("counts a return to an earlier, superseded sha (A, B, A) as one rollback", async () => {
		const alias = await freshAlias("rollback", claimed);
		await shipAll(alias, [
			{ at: "2024-03-10T10:00:00Z", sha: "aaa", status: "success" },
			{ at: "2024-03-10T11:00:00Z", sha: "bbb", status: "success" },
			{ at: "2024-03-10T12:00:00Z", sha: "aaa", status: "success" },
		]);
		expect((await metrics({ service: alias, ...MARCH })).change_failure_rate).toEqual({
			failed: 0,
			rollbacks: 1,
			total: 3,
			rate: 1 / 3,
		});
	});

	it("orders by deployed_at, not arrival", async () => {
		const alias = await freshAlias("rollback-order", claimed);
		// Arrives A, A, B but ran A, B, A.
		await shipAll(alias, [
			{ at: "2024-03-10T10:00:00Z", sha: "aaa" },
			{ at: "2024-03-10T12:00:00Z", sha: "aaa" },
			{ at: "2024-03-10T11:00:00Z", sha: "bbb" },
		]);
		expect((await metrics({ service: alias, ...MARCH })).change_failure_rate.rollbacks).toBe(1);
	});

	it("does not count redeploying the running sha, before or after a rollback", async () => {
		const alias = await freshAlias("redeploy", claimed);
		await shipAll(alias, [
			{ at: "2024-03-10T10:00:00Z", sha: "aaa" },
			{ at: "2024-03-10T11:00:00Z", sha: "aaa" }, // same sha again: not a rollback
			{ at: "2024-03-10T12:00:00Z", sha: "bbb" },
			{ at: "2024-03-10T13:00:00Z", sha: "aaa" }, // the rollback
			{ at: "2024-03-10T14:00:00Z", sha: "aaa" }, // redeploying it: not another one
		]);
		expect((await metrics({ service: alias, ...MARCH })).change_failure_rate).toEqual({
			failed: 0,
			rollbacks: 1,
			total: 5,
			rate: 0.2,
		});
	});

	it("compares within one environment: promoting a sha from staging is no rollback", async () => {
		const alias = await freshAlias("rollback-env", claimed);
		await shipAll(alias, [
			{ at: "2024-03-10T10:00:00Z", sha: "aaa", environment: "Staging" },
			{ at: "2024-03-10T11:00:00Z", sha: "bbb", environment: "Production" },
			{ at: "2024-03-10T12:00:00Z", sha: "aaa", environment: "Production" }, // A was never live here
			{ at: "2024-03-10T13:00:00Z", sha: "ccc", environment: "Staging" },
			{ at: "2024-03-10T14:00:00Z", sha: "aaa", environment: "Production" }, // Production still runs A
		]);
		expect((await metrics({ service: alias, ...MARCH })).change_failure_rate).toEqual({
			failed: 0,
			rollbacks: 0,
			total: 5,
			rate: 0,
		});
	});

	it("looks through deploys without a sha", async () => {
		const alias = await freshAlias("rollback-nosha", claimed);
		await shipAll(alias, [
			{ at: "2024-03-10T10:00:00Z", sha: "aaa" },
			{ at: "2024-03-10T11:00:00Z", sha: null },
			{ at: "2024-03-10T12:00:00Z", sha: "aaa" }, // still A before it: no rollback
			{ at: "2024-03-10T13:00:00Z", sha: "bbb" },
			{ at: "2024-03-10T14:00:00Z", sha: null },
			{ at: "2024-03-10T15:00:00Z", sha: "aaa" }, // B before it: a rollback
		]);
		expect((await metrics({ service: alias, ...MARCH })).change_failure_rate).toMatchObject({
			rollbacks: 1,
			total: 6,
		});
	});

	it("finds the sha a rollback returns to before the window", async () => {
		const alias = await freshAlias("rollback-history", claimed);
		await shipAll(alias, [
			{ at: "2024-01-10T10:00:00Z", sha: "aaa" },
			{ at: "2024-02-10T10:00:00Z", sha: "bbb" },
			{ at: "2024-03-10T10:00:00Z", sha: "aaa" },
		]);
		expect((await metrics({ service: alias, ...MARCH })).change_failure_rate).toEqual({
			failed: 0,
			rollbacks: 1,
			total: 1,
			rate: 1,
		});
	});
});

describe("change failure rate", () => {
	it("follows a service across its aliases, but not into another service", async () => {
		const [a, b, other] = [unique("cfr-a"), unique("cfr-b"), unique("cfr-other")];
		const service = await api.createService(unique("Cfr"), [a, b]);
		await shipAll(a, [{ at: "2024-03-10T10:00:00Z", sha: "aaa" }]);
		await shipAll(other, [{ at: "2024-03-10T10:30:00Z", sha: "ccc" }]);
		await shipAll(b, [{ at: "2024-03-10T11:00:00Z", sha: "bbb" }]);
		await shipAll(a, [{ at: "2024-03-10T12:00:00Z", sha: "aaa" }]);
		await shipAll(other, [{ at: "2024-03-10T12:30:00Z", sha: "aaa" }]); // another service's stream: no A before
		expect((await metrics({ service: service.id, ...MARCH })).change_failure_rate.rollbacks).toBe(1);
		expect((await metrics({ service: other, ...MARCH })).change_failure_rate.rollbacks).toBe(0);
	});

	it("counts status failure (any synonym), and not canceled or unknown statuses", async () => {
		const alias = unique("failures");
		await shipAll(alias, [
			{ at: "2024-03-10T10:00:00Z", status: "failure" },
			{ at: "2024-03-10T11:00:00Z", status: "Errored" },
			{ at: "2024-03-10T12:00:00Z", status: "canceled" },
			{ at: "2024-03-10T13:00:00Z", status: "success" },
			{ at: "2024-03-10T14:00:00Z" },
		]);
		expect((await metrics({ service: alias, ...MARCH })).change_failure_rate).toEqual({
			failed: 2,
			rollbacks: 0,
			total: 5,
			rate: 0.4,
		});
	});

	it("counts a deploy that failed after a repeated dedup_id advanced its status", async () => {
		const alias = unique("advanced");
		const dedup_id = crypto.randomUUID();
		await ship(alias, { at: "2024-03-10T10:00:00Z", status: "running", dedup_id });
		expect((await metrics({ service: alias, ...MARCH })).change_failure_rate.failed).toBe(0);
		await ship(alias, { at: "2024-03-10T10:00:00Z", status: "failed", dedup_id });
		const body = await metrics({ service: alias, ...MARCH });
		expect(body.change_failure_rate).toEqual({ failed: 1, rollbacks: 0, total: 1, rate: 1 });
		expect(body.time_to_restore).toMatchObject({ count: 0, unrestored: 1 });
	});

	it("adds failures and rollbacks, counting a rollback that itself failed once", async () => {
		const [rolledBack, failedRollback] = [unique("cfr-both"), unique("cfr-once")];
		await shipAll(rolledBack, [
			{ at: "2024-03-10T10:00:00Z", sha: "aaa", status: "success" },
			{ at: "2024-03-10T11:00:00Z", sha: "bbb", status: "failure" },
			{ at: "2024-03-10T12:00:00Z", sha: "aaa", status: "success" },
		]);
		await shipAll(failedRollback, [
			{ at: "2024-03-10T10:00:00Z", sha: "aaa", status: "success" },
			{ at: "2024-03-10T11:00:00Z", sha: "bbb", status: "success" },
			{ at: "2024-03-10T12:00:00Z", sha: "aaa", status: "failure" },
		]);
		expect((await metrics({ service: rolledBack, ...MARCH })).change_failure_rate).toEqual({
			failed: 1,
			rollbacks: 1,
			total: 3,
			rate: 2 / 3,
		});
		expect((await metrics({ service: failedRollback, ...MARCH })).change_failure_rate).toEqual({
			failed: 1,
			rollbacks: 1,
			total: 3,
			rate: 1 / 3,
		});
	});
});

describe.each(STREAMS)("time to restore in the stream of %s", (_, claimed) => {
	it("measures a failure to the next success in its stream: 2 hours is 7200 s", async () => {
		const alias = await freshAlias("restore", claimed);
		await shipAll(alias, [
			{ at: "2024-03-10T10:00:00Z", status: "failure" },
			{ at: "2024-03-10T10:15:00Z", status: "canceled" }, // neither a failure nor a success
			{ at: "2024-03-10T10:30:00Z", status: "running" }, // not a success
			{ at: "2024-03-10T11:00:00Z", status: "success", environment: "Staging" }, // another stream
			{ at: "2024-03-10T12:00:00Z", status: "success" },
		]);
		expect((await metrics({ service: alias, ...MARCH })).time_to_restore).toEqual({
			count: 1,
			unrestored: 0,
			median_seconds: 7200,
			p90_seconds: 7200,
		});
	});

	it("counts a failure with no success after it as unrestored", async () => {
		const alias = await freshAlias("unrestored", claimed);
		await shipAll(alias, [
			{ at: "2024-03-10T10:00:00Z", status: "success" },
			{ at: "2024-03-11T10:00:00Z", status: "failure" },
			{ at: "2024-03-11T11:00:00Z", status: "success", environment: "Staging" },
			{ at: "2024-03-11T12:00:00Z", status: "failure" },
		]);
		expect((await metrics({ service: alias, ...MARCH })).time_to_restore).toEqual({
			count: 0,
			unrestored: 2,
			median_seconds: null,
			p90_seconds: null,
		});
	});

	it("restores each failure before a success with that success", async () => {
		const alias = await freshAlias("restore-two", claimed);
		await shipAll(alias, [
			{ at: "2024-03-10T10:00:00Z", status: "failure" },
			{ at: "2024-03-10T10:30:00Z", status: "failure" },
			{ at: "2024-03-10T11:00:00Z", status: "success" },
			{ at: "2024-03-12T11:00:00Z", status: "failure" },
		]);
		// 3600 s and 1800 s; sorted 1800, 3600: median rank 1, p90 rank ceil(1.8) = 2.
		expect((await metrics({ service: alias, ...MARCH })).time_to_restore).toEqual({
			count: 2,
			unrestored: 1,
			median_seconds: 1800,
			p90_seconds: 3600,
		});
	});

	it("counts failures deployed in the window, restored whenever", async () => {
		const alias = await freshAlias("restore-edges", claimed);
		await shipAll(alias, [
			{ at: "2024-03-09T23:00:00Z", status: "failure" }, // before the window: not counted
			{ at: "2024-03-10T01:00:00Z", status: "success" },
			{ at: "2024-03-10T23:00:00Z", status: "failure" }, // in the window
			{ at: "2024-03-11T00:30:00Z", status: "success" }, // after it: still its restore, 5400 s
		]);
		const body = await metrics({ service: alias, from: "2024-03-10T00:00:00Z", to: "2024-03-11T00:00:00Z" });
		expect(body.time_to_restore).toEqual({ count: 1, unrestored: 0, median_seconds: 5400, p90_seconds: 5400 });
		expect(body.change_failure_rate).toEqual({ failed: 1, rollbacks: 0, total: 2, rate: 0.5 });
	});
});

describe("filters", () => {
	it("takes a service id or any of its aliases, selecting the service's deploys under all of them", async () => {
		const [a, b] = [unique("filter-a"), unique("filter-b")];
		const service = await api.createService(unique("Filtered"), [a, b]);
		await ship(a, { at: "2024-03-10T10:00:00Z" });
		await ship(b, { at: "2024-03-11T10:00:00Z" });
		await ship(unique("filter-other"), { at: "2024-03-11T10:00:00Z" });
		for (const value of [service.id, a, b.toUpperCase()]) {
			const body = await metrics({ service: value, ...MARCH });
			expect(body.filters).toEqual({ service: value, team: null, environment: null });
			expect(body.deployment_frequency.total).toBe(2);
		}
	});

	it("takes an alias no service has claimed", async () => {
		const alias = unique("unclaimed");
		await shipAll(alias, [
			{ at: "2024-03-10T10:00:00Z", sha: "aaa" },
			{ at: "2024-03-10T11:00:00Z", sha: "bbb", status: "failure" },
			{ at: "2024-03-10T12:00:00Z", sha: "aaa", status: "success" },
		]);
		await ship(unique("unclaimed-other"), { at: "2024-03-10T11:30:00Z", sha: "bbb" });
		const body = await metrics({ service: alias, ...MARCH });
		expect(body.change_failure_rate).toEqual({ failed: 1, rollbacks: 1, total: 3, rate: 2 / 3 });
		expect(body.time_to_restore).toMatchObject({ count: 1, median_seconds: 3600 });
	});

	it("selects exactly one environment, in any letter case, with or without a service", async () => {
		const alias = unique("envs");
		const environment = unique("Production");
		await shipAll(alias, [
			{ at: "2024-03-10T10:00:00Z", environment },
			{ at: "2024-03-10T11:00:00Z", environment: `${environment}-eu` },
			{ at: "2024-03-10T12:00:00Z", environment: environment.toLowerCase() },
			{ at: "2024-03-10T13:00:00Z", environment: "Staging" },
		]);
		await ship(unique("envs-other"), { at: "2024-03-10T14:00:00Z", environment: environment.toUpperCase() });
		const withService = await metrics({ service: alias, environment, ...MARCH });
		expect(withService.filters).toEqual({ service: alias, team: null, environment });
		expect(withService.deployment_frequency.total).toBe(2);
		expect(
			(await metrics({ environment: ` ${environment.toUpperCase()} `, ...MARCH })).deployment_frequency.total,
		).toBe(3);
		expect((await metrics({ service: alias, ...MARCH })).deployment_frequency.total).toBe(4);
	});

	it("keeps one stream per environment whatever its spelling: a failure is restored, and a rollback seen, across spellings", async () => {
		const alias = unique("spelled");
		await shipAll(alias, [
			{ at: "2024-03-10T10:00:00Z", environment: "Production", sha: "a".repeat(40), status: "success" },
			{ at: "2024-03-10T11:00:00Z", environment: "production", sha: "b".repeat(40), status: "failure" },
			{ at: "2024-03-10T13:00:00Z", environment: "PRODUCTION", sha: "a".repeat(40), status: "success" },
		]);
		const figures = async () => {
			const body = await metrics({ service: alias, environment: "production", ...MARCH });
			return { cfr: body.change_failure_rate, restore: body.time_to_restore };
		};
		const expected = {
			cfr: { failed: 1, rollbacks: 1, total: 3, rate: 2 / 3 },
			restore: { count: 1, unrestored: 0, median_seconds: 7200, p90_seconds: 7200 },
		};
		// An unclaimed alias's stream, then the same deploys as a service's.
		expect(await figures()).toEqual(expected);
		await api.createService(unique("Spelled"), [alias]);
		expect(await figures()).toEqual(expected);
	});
});

describe("window", () => {
	it("defaults to the 30 days before now", async () => {
		const alias = unique("default-window");
		const now = Date.now();
		await ship(alias, { at: new Date(now - DAY).toISOString() });
		await ship(alias, { at: new Date(now - 31 * DAY).toISOString() });
		const body = await metrics({ service: alias });
		const [from, to] = [Date.parse(body.window.from), Date.parse(body.window.to)];
		expect(to).toBeGreaterThanOrEqual(now);
		expect(to).toBeLessThan(now + 60_000);
		expect(to - from).toBe(30 * DAY);
		expect(body.window.bucket).toBe("day");
		expect(body.deployment_frequency.total).toBe(1);
		expect(body.deployment_frequency.per_day).toBeCloseTo(1 / 30, 12);
	});

	it("defaults from to 30 days before a given to, and to to now after a given from", async () => {
		expect((await metrics({ to: "2024-03-31T00:00:00Z" })).window.from).toBe("2024-03-01T00:00:00.000Z");
		const from = new Date(Date.now() - DAY).toISOString();
		const body = await metrics({ from });
		expect(Date.parse(body.window.to) - Date.parse(from)).toBeGreaterThanOrEqual(DAY);
		expect(Date.parse(body.window.to) - Date.parse(from)).toBeLessThan(DAY + 60_000);
	});

	it("accepts a window of exactly 366 days", async () => {
		const body = await metrics({ from: "2024-01-01T00:00:00Z", to: "2025-01-01T00:00:00Z" });
		expect(body.deployment_frequency.buckets).toHaveLength(366);
	});
});

describe("bad query parameters", () => {
	it.each([
		["an unknown bucket", { bucket: "month" }, "Bucket Error"],
		["a from that is no date-time", { from: "yesterday" }, "From Error"],
		["an impossible to", { to: "2024-02-30T00:00:00Z" }, "To Error"],
		["from equal to to", { from: "2024-03-01T00:00:00Z", to: "2024-03-01T00:00:00Z" }, "From Error"],
		["from after to", { from: "2024-03-02T00:00:00Z", to: "2024-03-01T00:00:00Z" }, "From Error"],
		["a window over 366 days", { from: "2024-01-01T00:00:00Z", to: "2025-01-01T00:00:01Z" }, "From Error"],
		["a from over 366 days before the default to", { from: "2020-01-01T00:00:00Z" }, "From Error"],
		["a from after the default to", { from: "2999-01-01T00:00:00Z" }, "From Error"],
		["a service over 255 characters", { service: "s".repeat(256) }, "Service Error"],
		["an environment over 255 characters", { environment: "e".repeat(256) }, "Environment Error"],
	])("answers 400 for %s", async (_, params, title) => {
		expectError(await admin("GET", `/metrics?${new URLSearchParams(params)}`), 400, title);
	});

	it("lists every invalid parameter at once", async () => {
		const res = await admin("GET", "/metrics?bucket=month&from=soon&to=later");
		expectError(res, 400);
		expect(res.body.errors.map((e: { title: string }) => e.title).sort()).toEqual([
			"Bucket Error",
			"From Error",
			"To Error",
		]);
	});
});

describe("query plan", () => {
	const plan = async (filter: Partial<MetricsFilter>, from = "2024-03-01T00:00:00Z") => {
		const statement = metricsStatement(database(env.DB), {
			...filter,
			from: Date.parse(from),
			to: Date.parse("2024-04-01T00:00:00Z"),
			bucketOrigin: Date.parse("2024-03-01T00:00:00Z"),
			bucketSize: DAY,
		});
		const { sql, params } = statement.getQuery();
		const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
			.bind(...params)
			.all<{ detail: string }>();
		return results.map((r) => r.detail);
	};

	/** What the plan scans in full: only the statement's own intermediate results may appear. */
	const scanned = (details: string[]) =>
		details.filter((d) => d.startsWith("SCAN ")).map((d) => d.replace(/^SCAN /, "").split(" ")[0]);
	const INTERMEDIATE = /^(slices|CONSTANT|\(subquery-\d+\))$/;

	/** A window whose first day is partial: its deploys are read one by one, the whole days from their rollups. */
	const PARTIAL = "2024-03-01T12:00:00Z";

	it("reads the partial day of a service and environment through their index, scanning no deploys", async () => {
		const details = await plan({ serviceId: "some-service", environment: "Production" }, PARTIAL);
		expect(details).toContain(
			"SEARCH d USING INDEX deploys_service_environment_idx (service_id=? AND environment_key=? AND deployed_at>? AND deployed_at<?)",
		);
		expect(details.join("\n")).not.toMatch(/SCAN deploys|SCAN [dms]\b/);
		for (const name of scanned(details)) expect(name).toMatch(INTERMEDIATE);
		// Nothing is looked up beyond the window: rollbacks and restores are kept on each deploy's row (db/facts.ts).
		expect(details.filter((d) => d.startsWith("SEARCH ") && !/^SEARCH [dm] /.test(d))).toEqual([]);
	});

	it.each([
		["a service", { serviceId: "some-service" }, "deploys_service_deployed_at_idx"],
		["an unclaimed alias", { aliasKey: "some-alias" }, "deploys_alias_deployed_at_idx"],
		["an environment", { environment: "Production" }, "deploys_environment_deployed_at_idx"],
		["no filter", {}, "deploys_deployed_at_idx"],
	])("reads the partial day of %s through an index", async (_, filter, index) => {
		const details = await plan(filter, PARTIAL);
		expect(details.some((d) => d.startsWith(`SEARCH d USING INDEX ${index} (`))).toBe(true);
		for (const name of scanned(details)) expect(name).toMatch(INTERMEDIATE);
	});

	it.each([
		[
			"a service and environment",
			{ serviceId: "some-service", environment: "Production" },
			"INDEX metrics_days_service_idx (service_id=? AND day>? AND day<?)",
		],
		["a team", { teamId: "some-team" }, "INDEX metrics_days_service_idx (service_id=? AND day>? AND day<?)"],
		["an alias", { aliasKey: "some-alias" }, "INDEX metrics_days_alias_idx (alias_key=? AND day>? AND day<?)"],
		["no filter", {}, "PRIMARY KEY (day>? AND day<?)"],
	])("reads the whole days of %s from their rollups, reading no deploy", async (_, filter, search) => {
		const details = await plan(filter);
		expect(details).toContain(`SEARCH m USING ${search}`);
		expect(details.join("\n")).not.toMatch(/\b(SCAN|SEARCH) (deploys|d)\b/);
		for (const name of scanned(details)) expect(name).toMatch(INTERMEDIATE);
	});
});

describe("the previous period and the DORA bands", () => {
	/** `at` shifted by `minutes` (negative: earlier), as an ISO date-time. */
	const minutesAfter = (at: string, minutes: number) => new Date(Date.parse(at) + minutes * 60_000).toISOString();

	it("answers the same figures for the window of the same length just before, read in one round trip", async () => {
		const alias = unique("previous");
		await shipAll(alias, [
			// February 2024, inside the 31 days before March: two deploys, one failed then restored 2 hours later.
			{ at: "2024-02-10T10:00:00Z", status: "failure", authored: "2024-02-10T09:00:00Z" },
			{ at: "2024-02-10T12:00:00Z", status: "success", authored: "2024-02-10T11:30:00Z" },
			// Before the previous window (January 29th): counted in neither.
			{ at: "2024-01-29T12:00:00Z" },
			// March: three successes.
			{ at: "2024-03-05T12:00:00Z", status: "success", authored: "2024-03-05T11:50:00Z" },
			{ at: "2024-03-06T12:00:00Z", status: "success" },
			{ at: "2024-03-07T12:00:00Z", status: "success" },
		]);
		const res = await call(`/api/metrics?${new URLSearchParams({ service: alias, ...MARCH })}`, { headers: ADMIN });
		const body = await res.json<any>();
		expect(body.previous).toEqual({
			window: { from: "2024-01-30T00:00:00.000Z", to: "2024-03-01T00:00:00.000Z" },
			deployment_frequency: { total: 2, per_day: 2 / 31 },
			lead_time: { count: 2, median_seconds: 1800, p90_seconds: 3600 },
			change_failure_rate: { failed: 1, rollbacks: 0, total: 2, rate: 0.5 },
			time_to_restore: { count: 1, unrestored: 0, median_seconds: 7200, p90_seconds: 7200 },
			incidents: {
				count: 0,
				open: 0,
				change_failure_rate: { failed: 0, total: 2, rate: 0 },
				time_to_restore: { count: 0, median_seconds: null, p90_seconds: null },
			},
		});
		expect(body.deployment_frequency.total).toBe(3);
		// The service lookup and the incident window, then both windows' statements and incident figures in one batch.
		expect(res.headers.get("Cost")).toMatch(/\bd1-queries=6\b/);
	});

	/** The bands of `deploys` over `window` (March 2024 unless given). */
	async function bandsOf(deploys: Deploy[], window: { from: string; to: string } = MARCH) {
		const alias = unique("bands");
		await shipAll(alias, deploys);
		return (await metrics({ service: alias, ...window })).bands;
	}
	/** `n` deploys a minute apart from `start` (March 10th, noon), the first `failed` of them failures. */
	const deploys = (n: number, failed = 0, start = "2024-03-10T12:00:00Z"): Deploy[] =>
		Array.from({ length: n }, (_, i) => ({
			at: minutesAfter(start, i),
			status: i < failed ? "failure" : "success",
		}));

	it("names the source of the thresholds, and leaves unrated what has nothing to rate", async () => {
		expect(await bandsOf([])).toEqual({
			source: "2023 Accelerate State of DevOps Report",
			// No deploys is fewer than one a month.
			deployment_frequency: "low",
			lead_time: null,
			change_failure_rate: null,
			time_to_restore: null,
		});
	});

	it("rates deployment frequency as deploys per day: daily, weekly and monthly are each their band's limit", async () => {
		const days = (from: string, n: number) => ({ from, to: new Date(Date.parse(from) + n * DAY).toISOString() });
		const frequency = async (n: number, window: { from: string; to: string }) =>
			(await bandsOf(deploys(n, 0, window.from), window)).deployment_frequency;
		expect([
			await frequency(1, days("2024-03-10T00:00:00Z", 1)), // once a day
			await frequency(3, days("2024-03-10T00:00:00Z", 4)), // 3 in 4 days: under once a day
			await frequency(4, days("2024-03-01T00:00:00Z", 28)), // once a week
			await frequency(3, days("2024-03-01T00:00:00Z", 28)), // under once a week
			await frequency(1, days("2024-03-01T00:00:00Z", 30)), // once a month (30 days)
			await frequency(1, days("2024-03-01T00:00:00Z", 31)), // under once a month
		]).toEqual(["elite", "high", "high", "medium", "medium", "low"]);
	});

	it("rates the median lead time: under a day, under a week, under 30 days", async () => {
		const withLeadTime = (minutes: number): Deploy[] => [
			{ at: "2024-03-31T12:00:00Z", authored: minutesAfter("2024-03-31T12:00:00Z", -minutes) },
		];
		const lead = async (minutes: number) => (await bandsOf(withLeadTime(minutes))).lead_time;
		const [day, week, month] = [24 * 60, 7 * 24 * 60, 30 * 24 * 60];
		expect([
			await lead(day - 1),
			await lead(day),
			await lead(week - 1),
			await lead(week),
			await lead(month - 1),
			await lead(month),
		]).toEqual(["elite", "high", "high", "medium", "medium", "low"]);
	});

	it("rates the change failure rate, not the count: up to 5 %, 10 %, 15 %", async () => {
		const cfr = async (n: number, failed: number) => (await bandsOf(deploys(n, failed))).change_failure_rate;
		expect([await cfr(20, 1), await cfr(19, 1), await cfr(10, 1), await cfr(20, 3), await cfr(6, 1)]).toEqual([
			"elite", // 5 %
			"high", // 5.3 %
			"high", // 10 %: one failure, like the 5 % above
			"medium", // 15 %
			"low", // 16.7 %
		]);
	});

	it("rates the median time to restore: under an hour, a day, a week", async () => {
		const restoredAfter = (minutes: number): Deploy[] => [
			{ at: "2024-03-10T12:00:00Z", status: "failure" },
			{ at: minutesAfter("2024-03-10T12:00:00Z", minutes), status: "success" },
		];
		const restore = async (minutes: number) => (await bandsOf(restoredAfter(minutes))).time_to_restore;
		expect([
			await restore(59),
			await restore(60),
			await restore(24 * 60),
			await restore(7 * 24 * 60 - 1),
			await restore(7 * 24 * 60),
		]).toEqual(["elite", "high", "medium", "medium", "low"]);
	});
});
