import {
	createExecutionContext,
	createScheduledController,
	runDurableObjectAlarm,
	runInDurableObject,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { DAY } from "../../src/http/datetime";
import worker from "../../src/index";
import { purgeExpired } from "../../src/retention/purge";
import { admin, api, examplePayload, type Integration, postDeploy, unique, withBrokenDeployWrites } from "../helpers";
import { interceptLedgerBatches, ledgerOf, until } from "../ledger/helpers";

// Storage is shared within this file and a purge is global, so each test measures
// its window from its own deploys and looks only at its own integration.

const DAYS = 30;
/** A purge whose window ends exactly at `cutoff`: deploys received before it go. */
const purgeBefore = (cutoff: number, options: { batch?: number; rounds?: number } = {}) =>
	purgeExpired(env, { days: DAYS, now: cutoff + DAYS * DAY, ...options });

/** The integration's deploys in D1: dedup_id → id. */
async function inD1(integration: Integration): Promise<Record<string, string>> {
	const { results } = await env.DB.prepare("SELECT dedup_id, id FROM deploys WHERE integration_id = ?")
		.bind(integration.id)
		.all<{ dedup_id: string; id: string }>();
	return Object.fromEntries(results.map((row) => [row.dedup_id, row.id]));
}

/** The dedup_ids the integration's ledger remembers, with when each arrived and whether D1 has it. */
async function inLedger(integration: Integration): Promise<Record<string, { receivedAt: number; delivered: boolean }>> {
	const rows = await runInDurableObject(ledgerOf(integration), (_, state) =>
		state.storage.sql
			.exec<{ dedup_id: string; received_at: number; delivered_at: number | null }>(
				"SELECT dedup_id, received_at, delivered_at FROM entries",
			)
			.toArray(),
	);
	return Object.fromEntries(
		rows.map((row) => [row.dedup_id, { receivedAt: row.received_at, delivered: row.delivered_at !== null }]),
	);
}

const receivedAt = async (integration: Integration, payload: Record<string, unknown>) => {
	const entry = (await inLedger(integration))[String(payload.dedup_id)];
	if (!entry) throw new Error(`the ledger does not know ${payload.dedup_id}`);
	return entry.receivedAt;
};

/** Posts each payload in turn, answering the responses' results. */
async function postAll(integration: Integration, payloads: Record<string, unknown>[]): Promise<string[]> {
	const results: string[] = [];
	for (const payload of payloads) {
		const response = await postDeploy(integration.webhook_url, payload);
		results.push(`${response.status} ${response.body.result}`);
	}
	return results;
}

/** Deploys posted now, then a pause, so anything posted later arrives strictly after them. */
async function postOld(integration: Integration, count: number, overrides: Record<string, unknown> = {}) {
	const payloads = Array.from({ length: count }, () => examplePayload({ service: unique("old"), ...overrides }));
	await postAll(integration, payloads);
	await scheduler.wait(5);
	return payloads;
}

const dedupIds = (payloads: Record<string, unknown>[]) => payloads.map((p) => String(p.dedup_id)).sort();

/** Slows this ledger instance's next D1 batches by the given milliseconds each, in order. */
const delayLedgerBatches = (integration: Integration, delays: number[]) =>
	interceptLedgerBatches(integration, async (_, send) => {
		const delay = delays.shift();
		if (delay) await scheduler.wait(delay);
		return send();
	});

describe("the retention purge", () => {
	it("deletes deploys received before the window from D1 and the ledger, with their history, and keeps the rest", async () => {
		const integration = await api.createIntegration();
		const old = await postOld(integration, 3, { status: "success" });
		const recent = Array.from({ length: 2 }, () => examplePayload({ service: unique("recent"), status: "running" }));
		await postAll(integration, recent);
		const d1Before = await inD1(integration);
		const oldIds = old.map((p) => d1Before[String(p.dedup_id)]);
		const cutoff = await receivedAt(integration, recent[0] as Record<string, unknown>);

		const report = await purgeBefore(cutoff);

		expect(report).toMatchObject({ cutoff, failedLedgers: 0, done: true });
		expect(report.entries).toBeGreaterThanOrEqual(3);
		expect(Object.keys(await inD1(integration)).sort()).toEqual(dedupIds(recent));
		expect(Object.keys(await inLedger(integration)).sort()).toEqual(dedupIds(recent));
		const history = await env.DB.prepare(
			`SELECT count(*) AS n FROM deploy_statuses WHERE deploy_id IN (${oldIds.map(() => "?").join(",")})`,
		)
			.bind(...oldIds)
			.first<number>("n");
		expect(history).toBe(0);
	});

	it("draws the line exactly at the cutoff: a deploy received at it stays a duplicate, one a millisecond older goes", async () => {
		const integration = await api.createIntegration();
		const [payload] = await postOld(integration, 1);
		if (!payload) throw new Error("no payload");
		const at = await receivedAt(integration, payload);

		await purgeBefore(at);
		expect((await postDeploy(integration.webhook_url, payload)).body.result).toBe("duplicate_deploy");
		expect(Object.keys(await inD1(integration))).toEqual([payload.dedup_id]);

		await purgeBefore(at + 1);
		expect(await inLedger(integration)).toEqual({});
		expect(await inD1(integration)).toEqual({});
	});

	// The ledger's own guarantee, without the D1 sweep that follows it in a cron run:
	// once it has forgotten a dedup_id, D1 no longer holds it.
	it("accepts a retry of a deploy its ledger purged as new, and it lands in D1 (no poison on the unique index)", async () => {
		const integration = await api.createIntegration();
		const [payload] = await postOld(integration, 1);
		if (!payload) throw new Error("no payload");
		const before = await inD1(integration);

		expect(await ledgerOf(integration).purge((await receivedAt(integration, payload)) + 1)).toEqual({
			entries: 1,
			deploys: 1,
			more: false,
		});
		expect(await postAll(integration, [payload])).toEqual(["202 no_service_found"]);

		expect(await ledgerOf(integration).pendingCount()).toBe(0);
		const after = await inD1(integration);
		expect(Object.keys(after)).toEqual([payload.dedup_id]);
		expect(after[String(payload.dedup_id)]).not.toBe(before[String(payload.dedup_id)]);
		expect(await postAll(integration, [payload])).toEqual(["202 duplicate_deploy"]);
	});

	it("keeps a pending entry, however old, until D1 has it; then purges both", async () => {
		const integration = await api.createIntegration();
		const payloads = await withBrokenDeployWrites(() => postOld(integration, 2));
		const cutoff = Date.now() + 1;

		// D1 is still down for writes: the purge must not forget what D1 has not got.
		await withBrokenDeployWrites(async () => {
			await purgeBefore(cutoff);
			expect(Object.values(await inLedger(integration))).toEqual([
				{ receivedAt: expect.any(Number), delivered: false },
				{ receivedAt: expect.any(Number), delivered: false },
			]);
			expect(await postAll(integration, payloads)).toEqual(["202 duplicate_deploy", "202 duplicate_deploy"]);
		});

		await runDurableObjectAlarm(ledgerOf(integration));
		expect(Object.keys(await inD1(integration)).sort()).toEqual(dedupIds(payloads));

		await purgeBefore(cutoff);
		expect(await inLedger(integration)).toEqual({});
		expect(await inD1(integration)).toEqual({});
		expect(await postAll(integration, payloads)).toEqual(["202 no_service_found", "202 no_service_found"]);
		expect(Object.keys(await inD1(integration)).sort()).toEqual(dedupIds(payloads));
	});

	it("forgets nothing when D1 will not delete: the ledger never knows less than D1 holds", async () => {
		const integration = await api.createIntegration();
		const payloads = await postOld(integration, 2);
		await env.DB.exec(
			"CREATE TRIGGER refuse_delete BEFORE DELETE ON deploys BEGIN SELECT RAISE(ABORT, 'injected D1 failure'); END;",
		);
		try {
			// Settled here rather than by expect(): it would touch the RPC promise's properties, each a call of its own.
			const outcome = await ledgerOf(integration)
				.purge(Date.now() + 1)
				.then(
					() => "purged",
					(error: unknown) => String(error),
				);
			expect(outcome).toMatch(/injected D1 failure/);
		} finally {
			await env.DB.exec("DROP TRIGGER IF EXISTS refuse_delete;");
		}

		expect(Object.keys(await inLedger(integration)).sort()).toEqual(dedupIds(payloads));
		expect(Object.keys(await inD1(integration)).sort()).toEqual(dedupIds(payloads));
		expect(await postAll(integration, payloads)).toEqual(["202 duplicate_deploy", "202 duplicate_deploy"]);
	});

	// A deploy can be delivered while a second, identical write of it is still on its
	// way (the alarm picked it up while it was pending). Were the purge to delete it
	// from D1 then, that write would put it back under a dedup_id the ledger forgot.
	it("waits for a write still in flight before forgetting its deploy", async () => {
		const integration = await api.createIntegration();
		const payload = examplePayload({ service: unique("svc") });
		// D1 batches from this ledger: the request's write takes 200 ms, the alarm's copy 400 ms, then none is slowed.
		await delayLedgerBatches(integration, [200, 400]);

		const posting = postDeploy(integration.webhook_url, payload);
		await until(async () => (await ledgerOf(integration).pendingCount()) === 1);
		const alarm = runDurableObjectAlarm(ledgerOf(integration));
		expect((await posting).status).toBe(202);
		// Delivered now, and the alarm's copy is on its way to D1.
		expect(Object.values(await inLedger(integration))).toEqual([{ receivedAt: expect.any(Number), delivered: true }]);

		await ledgerOf(integration).purge((await receivedAt(integration, payload)) + 1);
		await alarm;

		expect(await inLedger(integration)).toEqual({});
		expect(await inD1(integration)).toEqual({});
		expect(await postAll(integration, [payload])).toEqual(["202 no_service_found"]);
		expect(Object.keys(await inD1(integration))).toEqual([payload.dedup_id]);
	});

	it("purges a revoked integration's deploys and ledger too", async () => {
		const integration = await api.createIntegration();
		await postOld(integration, 2);
		expect((await admin("DELETE", `/integrations/${integration.id}`)).status).toBe(204);

		await purgeBefore(Date.now() + 1);

		expect(await inD1(integration)).toEqual({});
		expect(await inLedger(integration)).toEqual({});
	});

	it("never leaves D1 holding a dedup_id the ledger forgot, while retries with newer statuses race the purge", async () => {
		const integration = await api.createIntegration();
		const payloads = await postOld(integration, 12, { status: "running" });
		const cutoff = Date.now() + 1;

		// Each retry carries news, so the ledger marks its entry pending again and rewrites it to D1.
		await Promise.all([
			ledgerOf(integration).purge(cutoff, 4),
			...payloads.map((p) => postDeploy(integration.webhook_url, { ...p, status: "success" })),
			ledgerOf(integration).purge(cutoff, 4),
			ledgerOf(integration).purge(cutoff, 4),
		]);
		while ((await ledgerOf(integration).pendingCount()) > 0) await runDurableObjectAlarm(ledgerOf(integration));

		const [d1, ledger] = [await inD1(integration), await inLedger(integration)];
		for (const dedupId of Object.keys(d1)) expect(ledger).toHaveProperty([dedupId]);
		// Whatever each one's fate, a further retry ends with exactly one deploy per dedup_id in D1.
		await postAll(integration, payloads);
		while ((await ledgerOf(integration).pendingCount()) > 0) await runDurableObjectAlarm(ledgerOf(integration));
		expect(Object.keys(await inD1(integration)).sort()).toEqual(dedupIds(payloads));
	});

	it("forgets suggestions left with no deploys that nobody acted on, and keeps ignored ones", async () => {
		const integration = await api.createIntegration();
		const [open, ignored] = await postOld(integration, 2);
		const suggestionIds = async () => {
			const { results } = await env.DB.prepare("SELECT alias, state FROM suggestions WHERE alias IN (?, ?)")
				.bind(open?.service, ignored?.service)
				.all<{ alias: string; state: string }>();
			return Object.fromEntries(results.map((row) => [row.alias, row.state]));
		};
		const listed = await admin("GET", "/suggestions");
		const toIgnore = listed.body.suggestions.find((s: { alias: string }) => s.alias === ignored?.service);
		expect((await admin("POST", `/suggestions/${toIgnore.id}/ignore`)).status).toBeLessThan(300);

		await purgeBefore(Date.now() + 1);

		expect(await suggestionIds()).toEqual({ [String(ignored?.service)]: "ignored" });
		// The alias comes back as a suggestion with its next deploy.
		await postAll(integration, [examplePayload({ service: open?.service })]);
		expect(await suggestionIds()).toEqual({ [String(open?.service)]: "open", [String(ignored?.service)]: "ignored" });
	});
});

describe("the notification delivery log", () => {
	it("loses the deliveries made before the window, whose bodies copy deploys, and keeps the rest", async () => {
		const subscription = (
			await admin("POST", "/notifications", {
				name: unique("Log"),
				kind: "webhook",
				url: "https://receiver.example.com/log",
			})
		).body;
		const cutoff = Date.now() - DAY;
		const made = { old: cutoff - 1, edge: cutoff, recent: cutoff + 1 };
		for (const [name, at] of Object.entries(made)) {
			await env.DB.prepare(
				"INSERT INTO deliveries (id, subscription_id, deploy_id, event, body, created_at, updated_at) VALUES (?1, ?2, 'deploy', 'deploy.recorded', '{}', ?3, ?3)",
			)
				.bind(`msg_${name}_${subscription.id}`, subscription.id, at)
				.run();
		}

		const report = await purgeBefore(cutoff);

		// Only this test's rows: the queue's consumer may log deliveries of other tests' late deploys for it meanwhile.
		const ids = Object.keys(made).map((name) => `msg_${name}_${subscription.id}`);
		const { results } = await env.DB.prepare("SELECT id FROM deliveries WHERE id IN (?1, ?2, ?3) ORDER BY created_at")
			.bind(...ids)
			.all<{ id: string }>();
		expect(results.map((row) => row.id)).toEqual(ids.slice(1));
		expect(report.deliveries).toBeGreaterThanOrEqual(1);
	});
});

describe("a backlog", () => {
	it("is purged in bounded chunks, each run carrying on where the last stopped", async () => {
		const integration = await api.createIntegration();
		const [first] = await postOld(integration, 1);
		if (!first) throw new Error("no payload");
		// A clean slate: whatever earlier tests left is older than this test's deploys.
		await purgeBefore(await receivedAt(integration, first));
		await postOld(integration, 4);
		const recent = [examplePayload({ service: unique("recent") })];
		await postAll(integration, recent);
		const cutoff = await receivedAt(integration, recent[0] as Record<string, unknown>);

		// The ledger forgets two per call; each run makes one call per ledger and one sweep round of two.
		const runs: { ledger: number; d1: number; done: boolean }[] = [];
		for (let run = 0; run < 5; run++) {
			const report = await purgeBefore(cutoff, { batch: 2, rounds: 1 });
			runs.push({
				ledger: Object.keys(await inLedger(integration)).length,
				d1: Object.keys(await inD1(integration)).length,
				done: report.done,
			});
			if (report.done) break;
		}

		// The sweep deletes from D1 ahead of the ledger (safe: the ledger then remembers more than D1 holds).
		expect(runs).toEqual([
			{ ledger: 4, d1: 2, done: false },
			{ ledger: 2, d1: 1, done: false },
			{ ledger: 1, d1: 1, done: true },
		]);
		expect(Object.keys(await inLedger(integration))).toEqual([recent[0]?.dedup_id]);
		expect(Object.keys(await inD1(integration))).toEqual([recent[0]?.dedup_id]);
	});

	it("in a ledger is forgotten a bounded number of entries per call", async () => {
		const integration = await api.createIntegration();
		await postOld(integration, 5);
		const cutoff = Date.now() + 1;

		const calls = [];
		for (const _ of [1, 2, 3]) calls.push(await ledgerOf(integration).purge(cutoff, 2));

		expect(calls).toEqual([
			{ entries: 2, deploys: 2, more: true },
			{ entries: 2, deploys: 2, more: true },
			{ entries: 1, deploys: 1, more: false },
		]);
		expect(await inLedger(integration)).toEqual({});
		expect(await inD1(integration)).toEqual({});
	});
});

describe("the cron", () => {
	const runCron = (vars: Partial<Cloudflare.Env>, scheduledTime: number) =>
		worker.scheduled(
			createScheduledController({ scheduledTime, cron: "17 3 * * *" }),
			{ ...env, ...vars },
			createExecutionContext(),
		);

	it("purges nothing while RETENTION_DAYS is unset or empty, however old the deploys", async () => {
		const integration = await api.createIntegration();
		const payloads = await postOld(integration, 2);
		const farFuture = Date.now() + 10 * 365 * DAY;

		await runCron({ RETENTION_DAYS: undefined }, farFuture);
		await runCron({ RETENTION_DAYS: "" }, farFuture);
		await runCron({ RETENTION_DAYS: "30 days" }, farFuture);

		expect(Object.keys(await inD1(integration)).sort()).toEqual(dedupIds(payloads));
		expect(Object.keys(await inLedger(integration)).sort()).toEqual(dedupIds(payloads));
	});

	it("purges by RETENTION_DAYS, measured back from its scheduled time", async () => {
		const integration = await api.createIntegration();
		await postOld(integration, 2);
		const now = Date.now();

		await runCron({ RETENTION_DAYS: "30" }, now + 29 * DAY);
		expect(Object.keys(await inD1(integration))).toHaveLength(2);

		await runCron({ RETENTION_DAYS: "30" }, now + 30 * DAY + 1);
		expect(await inD1(integration)).toEqual({});
		expect(await inLedger(integration)).toEqual({});
	});
});
