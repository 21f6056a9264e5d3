import { abortAllDurableObjects, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, examplePayload, type Integration, postDeploy, unique, withBrokenDeployWrites } from "../helpers";
import { drain, interceptLedgerBatches, ledgerOf, until } from "./helpers";

// Failure drills: each breaks something for real (D1, the ledger's own storage,
// the object itself), then checks the end state exactly: every accepted deploy
// in D1 once, nothing lost, nothing doubled.

/** How many D1 deploys each dedup_id of the integration has, read from D1 itself. */
async function dedupCounts(integration: Integration): Promise<Record<string, number>> {
	const { results } = await env.DB.prepare(
		"SELECT dedup_id, count(*) AS n FROM deploys WHERE integration_id = ? GROUP BY dedup_id",
	)
		.bind(integration.id)
		.all<{ dedup_id: string; n: number }>();
	return Object.fromEntries(results.map((row) => [row.dedup_id, row.n]));
}

const once = (payloads: Record<string, unknown>[]) => Object.fromEntries(payloads.map((p) => [p.dedup_id, 1]));

/**
 * Gives this ledger instance a slow D1: each batch waits 300 ms before it is
 * sent, or after D1 has applied it. Only the running instance is affected; a
 * fresh one gets the real binding.
 */
const slowDownLedgerD1 = (integration: Integration, when: "before" | "after") =>
	interceptLedgerBatches(integration, async (_, send) => {
		if (when === "before") await scheduler.wait(300);
		const results = await send();
		if (when === "after") await scheduler.wait(300);
		return results;
	});

/** Runs `fn` with a trigger in the ledger's own SQLite that refuses to mark entries delivered. */
async function withBrokenLedgerMarks<T>(integration: Integration, fn: () => Promise<T>): Promise<T> {
	await runInDurableObject(ledgerOf(integration), (_, state) => {
		state.storage.sql.exec(
			"CREATE TRIGGER injected_failure BEFORE UPDATE OF delivered_at ON entries WHEN NEW.delivered_at IS NOT NULL BEGIN SELECT RAISE(ABORT, 'injected storage failure'); END",
		);
	});
	try {
		return await fn();
	} finally {
		await runInDurableObject(ledgerOf(integration), (_, state) => {
			state.storage.sql.exec("DROP TRIGGER IF EXISTS injected_failure");
		});
	}
}

describe("drill: D1 unavailable for a while", () => {
	it("accepts a burst during the outage, holds it, and delivers each deploy exactly once after recovery", async () => {
		const integration = await api.createIntegration();
		const service = unique("svc");
		// More than one alarm delivers in a run (50), so recovery takes several rounds.
		const payloads = Array.from({ length: 70 }, (_, i) =>
			examplePayload({ service, deploy_number: undefined, status: "running", description: `deploy ${i}` }),
		);

		await withBrokenDeployWrites(async () => {
			const burst = await Promise.all(payloads.map((p) => postDeploy(integration.webhook_url, p)));
			expect(burst.map((r) => `${r.status} ${r.body.result}`)).toEqual(payloads.map(() => "202 no_service_found"));
			expect(await dedupCounts(integration)).toEqual({});
			expect(await ledgerOf(integration).pendingCount()).toBe(70);

			// Client retries during the outage: duplicates, and some carry news (success).
			const retries = await Promise.all(
				payloads.map((p, i) => postDeploy(integration.webhook_url, i % 2 ? p : { ...p, status: "success" })),
			);
			expect(retries.map((r) => `${r.status} ${r.body.result}`)).toEqual(payloads.map(() => "202 duplicate_deploy"));
			// An alarm while D1 is still down delivers nothing and loses nothing.
			expect(await runDurableObjectAlarm(ledgerOf(integration))).toBe(true);
			expect(await dedupCounts(integration)).toEqual({});
			expect(await ledgerOf(integration).pendingCount()).toBe(70);
		});

		await drain(integration);

		expect(await dedupCounts(integration)).toEqual(once(payloads));
		const after = await Promise.all(payloads.map((p) => postDeploy(integration.webhook_url, p)));
		expect(after.map((r) => `${r.status} ${r.body.result}`)).toEqual(payloads.map(() => "202 duplicate_deploy"));
		expect(await dedupCounts(integration)).toEqual(once(payloads));

		const { results } = await env.DB.prepare(
			"SELECT dedup_id, deploy_number, status, (SELECT count(*) FROM deploy_statuses WHERE deploy_id = deploys.id) AS steps FROM deploys WHERE integration_id = ?",
		)
			.bind(integration.id)
			.all<{ dedup_id: string; deploy_number: string; status: string; steps: number }>();
		expect(results.map((r) => Number(r.deploy_number)).sort((a, b) => a - b)).toEqual(
			Array.from({ length: 70 }, (_, i) => i + 1),
		);
		const advanced = new Set(payloads.filter((_, i) => i % 2 === 0).map((p) => p.dedup_id));
		for (const row of results) {
			expect(row).toMatchObject(
				advanced.has(row.dedup_id) ? { status: "success", steps: 2 } : { status: "running", steps: 1 },
			);
		}
	});
});

describe("drill: the Durable Object resets mid-request", () => {
	// The reset hits while D1 is slow, so it lands mid-request: once before D1 got
	// the batch, once after D1 took it but before the ledger heard back.
	it.each([
		["before D1 has the deploys", "before"],
		["after D1 took them, before the ledger heard back", "after"],
	] as const)("ends with exactly one deploy per dedup_id after clients retry: reset %s", async (_, when) => {
		const integration = await api.createIntegration();
		const service = unique("svc");
		const payloads = Array.from({ length: 20 }, (_, i) => examplePayload({ service, description: `deploy ${i}` }));
		await slowDownLedgerD1(integration, when);

		const inFlight = payloads.map((p) => postDeploy(integration.webhook_url, p));
		await until(async () => (await ledgerOf(integration).pendingCount()) === payloads.length);
		await abortAllDurableObjects();
		const first = await Promise.allSettled(inFlight);

		// Every request was accepted by the ledger and still waiting for D1: the reset cuts each one off.
		for (const attempt of first) {
			if (attempt.status === "fulfilled") expect(attempt.value.status).toBe(500);
		}
		// Only the batch D1 was given before the reset can be there (the first deploy, alone in its group).
		const landed = Object.entries(await dedupCounts(integration));
		expect(landed).toEqual(when === "after" ? [[expect.any(String), 1]] : []);

		// The clients retry: the ledger kept what it accepted, so each retry is a duplicate.
		const retries = await Promise.all(payloads.map((p) => postDeploy(integration.webhook_url, p)));
		expect(retries.map((r) => `${r.status} ${r.body.result}`)).toEqual(payloads.map(() => "202 duplicate_deploy"));
		await drain(integration);

		expect(await dedupCounts(integration)).toEqual(once(payloads));
	});

	it("loses nothing accepted while D1 was down when the object resets before its alarm", async () => {
		const integration = await api.createIntegration();
		const service = unique("svc");
		const payloads = Array.from({ length: 10 }, () => examplePayload({ service }));
		await withBrokenDeployWrites(async () => {
			const accepted = await Promise.all(payloads.map((p) => postDeploy(integration.webhook_url, p)));
			expect(accepted.map((r) => r.status)).toEqual(payloads.map(() => 202));
			await abortAllDurableObjects();
		});

		const retries = await Promise.all(payloads.map((p) => postDeploy(integration.webhook_url, p)));
		expect(retries.map((r) => `${r.status} ${r.body.result}`)).toEqual(payloads.map(() => "202 duplicate_deploy"));
		await drain(integration);

		expect(await dedupCounts(integration)).toEqual(once(payloads));
	});
});

describe("drill: the ledger's own storage fails", () => {
	it("answers a deploy whose delivery could not be recorded, and delivers it again without a duplicate", async () => {
		const integration = await api.createIntegration();
		const service = unique("svc");
		const payload = examplePayload({ service, status: "success" });

		// D1 takes the deploy, but the ledger cannot note that it did: the request must still answer.
		const response = await withBrokenLedgerMarks(integration, () => postDeploy(integration.webhook_url, payload));

		expect(response).toEqual({ status: 202, body: expect.objectContaining({ result: "no_service_found" }) });
		expect(await dedupCounts(integration)).toEqual(once([payload]));
		expect(await ledgerOf(integration).pendingCount()).toBe(1);
		const alarm = await runInDurableObject(ledgerOf(integration), (_, state) => state.storage.getAlarm());
		expect(alarm).not.toBeNull();

		await drain(integration);

		expect(await dedupCounts(integration)).toEqual(once([payload]));
		const steps = await env.DB.prepare(
			"SELECT count(*) AS n FROM deploy_statuses JOIN deploys ON deploys.id = deploy_id WHERE integration_id = ?",
		)
			.bind(integration.id)
			.first<{ n: number }>("n");
		expect(steps).toBe(1);
	});

	it("keeps retrying from the alarm while deliveries cannot be recorded, then finishes without duplicates", async () => {
		const integration = await api.createIntegration();
		const service = unique("svc");
		const payloads = Array.from({ length: 30 }, () => examplePayload({ service }));
		await withBrokenDeployWrites(() => Promise.all(payloads.map((p) => postDeploy(integration.webhook_url, p))));
		expect(await ledgerOf(integration).pendingCount()).toBe(30);

		await withBrokenLedgerMarks(integration, async () => {
			// D1 is back: every alarm run writes all 30 again, and cannot note it.
			for (const _ of [1, 2]) {
				expect(await runDurableObjectAlarm(ledgerOf(integration))).toBe(true);
				expect(await dedupCounts(integration)).toEqual(once(payloads));
				expect(await ledgerOf(integration).pendingCount()).toBe(30);
			}
		});

		await drain(integration);
		expect(await dedupCounts(integration)).toEqual(once(payloads));
	});

	it("stays scheduled after an alarm that throws, and a later run delivers everything once", async () => {
		const integration = await api.createIntegration();
		const service = unique("svc");
		const payloads = Array.from({ length: 5 }, () => examplePayload({ service }));
		await withBrokenDeployWrites(() => Promise.all(payloads.map((p) => postDeploy(integration.webhook_url, p))));

		// The ledger cannot read its own entries: the alarm has nothing to work from, and throws.
		await runInDurableObject(ledgerOf(integration), (_, state) => {
			state.storage.sql.exec("ALTER TABLE entries RENAME TO entries_offline");
		});
		try {
			await expect(runDurableObjectAlarm(ledgerOf(integration))).rejects.toThrow(/no such table/);
		} finally {
			await runInDurableObject(ledgerOf(integration), (_, state) => {
				state.storage.sql.exec("ALTER TABLE entries_offline RENAME TO entries");
			});
		}
		// The runtime retries a failed alarm only a few times; the ledger must not depend on that.
		const next = await runInDurableObject(ledgerOf(integration), (_, state) => state.storage.getAlarm());
		expect(next).not.toBeNull();

		expect(await runDurableObjectAlarm(ledgerOf(integration))).toBe(true);
		expect(await ledgerOf(integration).pendingCount()).toBe(0);
		expect(await dedupCounts(integration)).toEqual(once(payloads));
	});
});
