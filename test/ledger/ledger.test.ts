import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { parseCostHeader } from "../../src/cost/meter";
import { parseDeployPayload } from "../../src/webhook/payload";
import {
	admin,
	api,
	call,
	deploysOf,
	examplePayload,
	type Integration,
	postDeploy,
	suggestedAliases,
	unique,
	withBrokenDeployWrites,
} from "../helpers";
import { interceptLedgerBatches, ledgerOf } from "./helpers";

describe("concurrency", () => {
	it("accepts exactly one of 50 simultaneous deploys sharing a dedup_id", async () => {
		const integration = await api.createIntegration();
		const service = unique("svc");
		const payload = examplePayload({ service, dedup_id: "release-42" });

		const responses = await Promise.all(Array.from({ length: 50 }, () => postDeploy(integration.webhook_url, payload)));

		const results = responses.map((r) => `${r.status} ${r.body.result}`);
		expect(results.filter((r) => r === "202 no_service_found")).toHaveLength(1);
		expect(results.filter((r) => r === "202 duplicate_deploy")).toHaveLength(49);
		expect(await deploysOf(service)).toHaveLength(1);
	});

	it("numbers 60 simultaneous deploys 1..60 with no repeat and no gap", async () => {
		const integration = await api.createIntegration();
		const alias = unique("svc");
		await api.createService(alias, [alias]);

		const responses = await Promise.all(
			Array.from({ length: 60 }, (_, i) =>
				postDeploy(
					integration.webhook_url,
					examplePayload({ service: alias, deploy_number: undefined, description: `deploy ${i}` }),
				),
			),
		);

		expect(responses.map((r) => `${r.status} ${r.body.result}`)).toEqual(responses.map(() => "202 ok"));
		const numbers = (await deploysOf(alias)).map((d) => Number(d.deploy_number)).sort((a, b) => a - b);
		expect(numbers).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
	});

	it("reads the owner of 20 simultaneous new deploys in fewer D1 queries than one each", async () => {
		const integration = await api.createIntegration();
		const alias = unique("svc");
		await api.createService(alias, [alias]);
		const post = (i: number) =>
			call(new URL(integration.webhook_url).pathname, {
				method: "POST",
				body: JSON.stringify(examplePayload({ service: alias, deploy_number: undefined, description: `deploy ${i}` })),
			});
		const d1Queries = (response: Response) => parseCostHeader(response.headers.get("Cost") ?? "").d1Queries;
		await post(0); // The Worker now holds the webhook URL's integration.
		// One alone: its owner read, and its statements in D1's batch.
		const alone = d1Queries(await post(1));

		const together = await Promise.all(Array.from({ length: 20 }, (_, i) => post(i + 2)));

		expect(together.map((r) => r.status)).toEqual(together.map(() => 202));
		// Batched writes still count a query per statement; only shared owner reads make the sum smaller.
		const total = together.map(d1Queries).reduce((sum, n) => sum + n, 0);
		expect(total).toBeLessThan(20 * alone - 1);
		const numbers = (await deploysOf(alias)).map((d) => Number(d.deploy_number)).sort((a, b) => a - b);
		expect(numbers).toEqual(Array.from({ length: 22 }, (_, i) => i + 1));
	});

	it("carries an alias's numbering on into the service that claims it", async () => {
		const integration = await api.createIntegration();
		const alias = unique("svc");
		const post = () =>
			postDeploy(integration.webhook_url, examplePayload({ service: alias, deploy_number: undefined }));
		await post();
		await post();
		await api.createService(alias, [alias]);

		expect((await post()).body.result).toBe("ok");

		const numbers = (await deploysOf(alias)).map((d) => d.deploy_number).sort();
		expect(numbers).toEqual(["1", "2", "3"]);
	});

	it("keeps separate sequences for separate integrations", async () => {
		const [first, second] = [await api.createIntegration(), await api.createIntegration()];
		const alias = unique("svc");
		for (const integration of [first, second, first]) {
			await postDeploy(integration.webhook_url, examplePayload({ service: alias, deploy_number: undefined }));
		}
		const numbers = (await deploysOf(alias)).map((d) => d.deploy_number).sort();
		expect(numbers).toEqual(["1", "1", "2"]);
	});
});

describe("the alarm", () => {
	const alarmIn = async (integration: Integration) => {
		const at = await runInDurableObject(ledgerOf(integration), (_, state) => state.storage.getAlarm());
		return at === null ? null : at - Date.now();
	};

	it("is a distant safety net after a delivered deploy: a busy ledger wakes at most once a minute", async () => {
		const integration = await api.createIntegration();
		await postDeploy(integration.webhook_url, examplePayload({ service: unique("svc") }));
		expect(await alarmIn(integration)).toBeGreaterThan(30_000);
	});

	it("comes within seconds when the D1 write failed", async () => {
		const integration = await api.createIntegration();
		await withBrokenDeployWrites(() => postDeploy(integration.webhook_url, examplePayload({ service: unique("svc") })));
		expect(await alarmIn(integration)).toBeLessThanOrEqual(5_000);
	});
});

describe("when D1 fails", () => {
	it("answers 202, keeps the deploy in the ledger and delivers it from the alarm", async () => {
		const integration = await api.createIntegration();
		const service = unique("svc");
		const payload = examplePayload({ service });
		await withBrokenDeployWrites(async () => {
			const response = await postDeploy(integration.webhook_url, payload);
			expect(response).toEqual({ status: 202, body: expect.objectContaining({ result: "no_service_found" }) });
			expect(await deploysOf(service)).toHaveLength(0);
			expect(await ledgerOf(integration).pendingCount()).toBe(1);
		});

		expect(await runDurableObjectAlarm(ledgerOf(integration))).toBe(true);

		expect(await deploysOf(service)).toMatchObject([{ dedup_id: payload.dedup_id }]);
		expect(await ledgerOf(integration).pendingCount()).toBe(0);
		const retry = await postDeploy(integration.webhook_url, payload);
		expect(retry.body.result).toBe("duplicate_deploy");
		expect(await deploysOf(service)).toHaveLength(1);
	});

	it("keeps retrying with back-off while D1 stays down, then delivers everything in order", async () => {
		const integration = await api.createIntegration();
		const service = unique("svc");
		await withBrokenDeployWrites(async () => {
			for (const n of [1, 2, 3]) {
				const payload = examplePayload({ service, deploy_number: undefined, description: `deploy ${n}` });
				const r = await postDeploy(integration.webhook_url, payload);
				expect(r.status).toBe(202);
			}
			expect(await runDurableObjectAlarm(ledgerOf(integration))).toBe(true);
			const nextAlarm = await runInDurableObject(ledgerOf(integration), (_, state) => state.storage.getAlarm());
			expect(nextAlarm).toBeGreaterThan(Date.now());
			expect(await ledgerOf(integration).pendingCount()).toBe(3);
		});

		expect(await runDurableObjectAlarm(ledgerOf(integration))).toBe(true);
		const numbers = (await deploysOf(service)).map((d) => d.deploy_number).sort();
		expect(numbers).toEqual(["1", "2", "3"]);
		expect(await ledgerOf(integration).pendingCount()).toBe(0);
	});

	it("writes deploys that arrive together to D1 in shared batches", async () => {
		const integration = await api.createIntegration();
		const service = unique("svc");
		await api.createService(service, [service]);
		// Count the ledger's D1 batches.
		const batches: number[] = [];
		await interceptLedgerBatches(integration, (statements, send) => {
			batches.push(statements.length);
			return send();
		});

		const responses = await Promise.all(
			Array.from({ length: 10 }, () => postDeploy(integration.webhook_url, examplePayload({ service }))),
		);

		expect(responses.map((r) => `${r.status} ${r.body.result}`)).toEqual(responses.map(() => "202 ok"));
		expect(await deploysOf(service)).toHaveLength(10);
		// Every deploy went through a counted batch (at least its insert), in fewer batches than deploys.
		expect(batches.reduce((sum, statements) => sum + statements, 0)).toBeGreaterThanOrEqual(10);
		expect(batches.length).toBeLessThan(10);
	});

	it("delivers the rest of a group at once when one deploy in it cannot be written", async () => {
		const integration = await api.createIntegration();
		const service = unique("svc");
		const poison = unique("poison");
		await env.DB.exec(
			`CREATE TRIGGER refuse_poison BEFORE INSERT ON deploys WHEN NEW.service_alias = '${poison}' BEGIN SELECT RAISE(ABORT, 'refused'); END;`,
		);
		try {
			const aliases = [...Array.from({ length: 9 }, () => service), poison];
			const responses = await Promise.all(
				aliases.map((alias) => postDeploy(integration.webhook_url, examplePayload({ service: alias }))),
			);
			expect(responses.map((r) => r.status)).toEqual(aliases.map(() => 202));
			expect(await deploysOf(service)).toHaveLength(9);
			expect(await ledgerOf(integration).pendingCount()).toBe(1);
		} finally {
			await env.DB.exec("DROP TRIGGER IF EXISTS refuse_poison;");
		}
		await runDurableObjectAlarm(ledgerOf(integration));
		expect(await deploysOf(poison)).toHaveLength(1);
	});

	it("re-arms the alarm on restart for entries a crashed ledger never scheduled", async () => {
		const integration = await api.createIntegration();
		const service = unique("svc");
		await withBrokenDeployWrites(() => postDeploy(integration.webhook_url, examplePayload({ service })));
		// Simulate dying right after accepting: no alarm, and a fresh instance.
		await runInDurableObject(ledgerOf(integration), (_, state) => state.storage.deleteAlarm());
		await evictDurableObject(ledgerOf(integration));

		expect(await ledgerOf(integration).pendingCount()).toBe(1);
		expect(await runDurableObjectAlarm(ledgerOf(integration))).toBe(true);

		expect(await deploysOf(service)).toHaveLength(1);
	});

	it("delivers a deploy whose alias was claimed while it waited, linked to the service", async () => {
		const integration = await api.createIntegration();
		const alias = unique("svc");
		await withBrokenDeployWrites(async () => {
			const r = await postDeploy(integration.webhook_url, examplePayload({ service: alias }));
			expect(r.body.result).toBe("no_service_found");
		});
		const service = await api.createService(`claims ${alias}`, [alias]);

		await runDurableObjectAlarm(ledgerOf(integration));

		expect(await deploysOf(service.id)).toMatchObject([{ service: { id: service.id } }]);
		expect(await suggestedAliases()).not.toContain(alias);
	});

	it("answers 5xx and keeps nothing when the request fails before the ledger accepts it", async () => {
		const integration = await api.createIntegration();
		const service = unique("svc");
		const payload = examplePayload({ service });
		await env.DB.exec("ALTER TABLE aliases RENAME TO aliases_offline;");
		let failed: Awaited<ReturnType<typeof postDeploy>>;
		try {
			failed = await postDeploy(integration.webhook_url, payload);
		} finally {
			await env.DB.exec("ALTER TABLE aliases_offline RENAME TO aliases;");
		}

		expect(failed.status).toBe(500);
		expect(failed.body).toEqual({
			errors: [{ status: 500, title: "Internal Server Error", detail: expect.any(String) }],
		});
		expect(await ledgerOf(integration).pendingCount()).toBe(0);
		const retry = await postDeploy(integration.webhook_url, payload);
		expect(retry.body.result).toBe("no_service_found");
		expect(await deploysOf(service)).toHaveLength(1);
	});
});

describe("revocation", () => {
	it("refuses deploys once the ledger is revoked, even before D1 says so", async () => {
		const integration = await api.createIntegration();
		const service = unique("svc");
		await ledgerOf(integration).revoke();

		const response = await postDeploy(integration.webhook_url, examplePayload({ service }));

		expect(response.status).toBe(404);
		expect(response.body.errors[0].title).toBe("Integration Error");
		expect(await deploysOf(service)).toHaveLength(0);
	});

	it("stays revoked when the object starts again", async () => {
		const integration = await api.createIntegration();
		const service = unique("svc");
		await ledgerOf(integration).revoke();
		await evictDurableObject(ledgerOf(integration));

		const response = await postDeploy(integration.webhook_url, examplePayload({ service }));

		expect(response.status).toBe(404);
		expect(await deploysOf(service)).toHaveLength(0);
	});

	it("still delivers what it accepted before the revocation", async () => {
		const integration = await api.createIntegration();
		const service = unique("svc");
		await withBrokenDeployWrites(() => postDeploy(integration.webhook_url, examplePayload({ service })));
		expect((await admin("DELETE", `/integrations/${integration.id}`)).status).toBe(204);

		await runDurableObjectAlarm(ledgerOf(integration));

		expect(await deploysOf(service)).toHaveLength(1);
	});
});

describe("retired webhook URLs", () => {
	/** The token at the end of a webhook URL. */
	const tokenOf = (url: string) => url.split("/").at(-1) ?? "";

	/**
	 * A deploy posted straight to the ledger with `webhookUrl`'s token, as a
	 * Worker whose cache still holds that URL as current would post it.
	 */
	async function recordVia(integration: Integration, webhookUrl: string, service: string) {
		const payload = parseDeployPayload(examplePayload({ service }));
		const request = { integrationId: integration.id, agent: null, payload };
		return (await ledgerOf(integration).record(request, tokenOf(webhookUrl))).outcome;
	}

	it("refuses a URL rotated away with no grace, whichever Worker still has it cached", async () => {
		const integration = await api.createIntegration();
		const service = unique("svc");
		const rotated = (await admin("POST", `/integrations/${integration.id}/rotate`, { grace_seconds: 0 })).body;

		expect(await recordVia(integration, integration.webhook_url, service)).toBe("expired");
		expect(await recordVia(integration, rotated.webhook_url, service)).toBe("accepted");
		expect(await deploysOf(service)).toHaveLength(1);
	});

	it("still refuses it after the ledger restarts", async () => {
		const integration = await api.createIntegration();
		await admin("POST", `/integrations/${integration.id}/rotate`, { grace_seconds: 0 });
		await evictDurableObject(ledgerOf(integration));

		expect(await recordVia(integration, integration.webhook_url, unique("svc"))).toBe("expired");
	});

	it("refuses nothing D1 has not retired: a rotation that died after telling the ledger locks no URL out", async () => {
		const integration = await api.createIntegration();
		await ledgerOf(integration).retire(tokenOf(integration.webhook_url), Date.now());

		expect(await recordVia(integration, integration.webhook_url, unique("svc"))).toBe("accepted");
	});
});
