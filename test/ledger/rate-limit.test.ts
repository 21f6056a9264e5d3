import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Ledger } from "../../src/ledger/ledger";
import { RateLimit, rateLimitFrom } from "../../src/ledger/rate-limit";
import { api, call, deploysOf, examplePayload, expectError, postDeploy, unique } from "../helpers";
import { ledgerOf } from "./helpers";

describe("RateLimit", () => {
	it("allows a burst, then refills at its rate, and says how long to wait", () => {
		const limit = new RateLimit(3, 2, 0);
		expect([limit.take(0), limit.take(0), limit.take(0)]).toEqual([0, 0, 0]);
		expect(limit.take(0)).toBe(1);
		expect(limit.take(499)).toBe(1);
		expect(limit.take(500)).toBe(0);
		expect(limit.take(500)).toBe(1);
		// Idle time refills no further than the burst.
		for (let i = 0; i < 3; i++) expect(limit.take(60_000)).toBe(0);
		expect(limit.take(60_000)).toBe(1);
	});

	it("waits whole seconds, longer for slow rates", () => {
		const limit = new RateLimit(1, 0.1, 0);
		limit.take(0);
		expect(limit.take(0)).toBe(10);
	});

	it("reads its settings from the Worker's variables, ignoring nonsense", () => {
		expect(rateLimitFrom({ WEBHOOK_BURST: "5", WEBHOOK_PER_SECOND: "0.5" })).toMatchObject({
			burst: 5,
			perSecond: 0.5,
		});
		expect(rateLimitFrom({ WEBHOOK_BURST: "-1", WEBHOOK_PER_SECOND: "lots" })).toMatchObject({
			burst: 2000,
			perSecond: 20,
		});
	});
});

describe("webhook rate limiting", () => {
	it("answers 429 with Retry-After once an integration exceeds its limit, without recording or disturbing others", async () => {
		const [busy, calm] = [await api.createIntegration(unique("busy")), await api.createIntegration(unique("calm"))];
		const ledger = ledgerOf(busy);
		await runInDurableObject(ledger, (instance: Ledger) => {
			Object.assign(instance, { limit: new RateLimit(3, 0.01) });
		});
		const alias = unique("flood");
		const answers = await Promise.all(
			Array.from({ length: 8 }, () => postDeploy(busy.webhook_url, examplePayload({ service: alias }))),
		);
		expect(answers.filter((a) => a.status === 202)).toHaveLength(3);
		const refused = answers.filter((a) => a.status === 429);
		expect(refused).toHaveLength(5);
		for (const r of refused) {
			expectError(r, 429, "Rate Limit Error");
			expect(r.body.errors[0].detail).toMatch(/retry after \d+ s$/);
		}
		expect(await deploysOf(alias)).toHaveLength(3);
		expect((await postDeploy(calm.webhook_url, examplePayload({ service: alias }))).status).toBe(202);
	});

	it("counts duplicates too: a retry loop on one dedup_id is what it stops", async () => {
		const integration = await api.createIntegration(unique("retrying"));
		const ledger = ledgerOf(integration);
		await runInDurableObject(ledger, (instance: Ledger) => {
			Object.assign(instance, { limit: new RateLimit(2, 0.01) });
		});
		const payload = examplePayload({ service: unique("retried") });

		const answers = [];
		for (const _ of [1, 2, 3]) answers.push(await postDeploy(integration.webhook_url, payload));

		expect(answers.map((a) => `${a.status} ${a.body.result ?? a.body.errors?.[0]?.title}`)).toEqual([
			"202 no_service_found",
			"202 duplicate_deploy",
			"429 Rate Limit Error",
		]);
	});

	it("sends the wait in a Retry-After header", async () => {
		const integration = await api.createIntegration(unique("limited"));
		const ledger = ledgerOf(integration);
		await runInDurableObject(ledger, (instance: Ledger) => {
			Object.assign(instance, { limit: new RateLimit(1, 0.25) });
		});
		const path = new URL(integration.webhook_url).pathname;
		const body = JSON.stringify(examplePayload({ service: unique("x") }));
		await call(path, { method: "POST", body });
		const res = await call(path, { method: "POST", body });
		expect(res.status).toBe(429);
		expect(res.headers.get("Retry-After")).toBe("4");
	});
});
