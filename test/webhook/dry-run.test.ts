import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { parseCostHeader } from "../../src/cost/meter";
import type { Ledger } from "../../src/ledger/ledger";
import { RateLimit } from "../../src/ledger/rate-limit";
import {
	admin,
	api,
	call,
	deploysOf,
	examplePayload,
	expectError,
	parseResponse,
	postDeploy,
	suggestedAliases,
	unique,
} from "../helpers";
import { ledgerOf, tracesOf } from "../ledger/helpers";

/** POSTs `body` to the webhook URL with `?dry_run=1` (or the given query), answering status, body and cost. */
async function postDryRun(url: string, body: unknown, query = "?dry_run=1") {
	const res = await call(`${new URL(url).pathname}${query}`, { method: "POST", body: JSON.stringify(body) });
	const cost = parseCostHeader(res.headers.get("Cost") ?? "");
	return { ...(await parseResponse(res)), cost };
}

const numbered = (service: string) => examplePayload({ service, deploy_number: undefined });

describe("a dry run (?dry_run=1)", () => {
	it("answers ok with the service a deploy would be recorded for, storing nothing and using no number", async () => {
		const integration = await api.createIntegration(unique("dry"));
		const alias = unique("known");
		const service = await api.createService(unique("Known"), [alias]);
		expect((await postDeploy(integration.webhook_url, numbered(alias))).status).toBe(202);
		const before = await tracesOf(integration);

		const answers = [];
		for (const _ of [1, 2, 3]) answers.push(await postDryRun(integration.webhook_url, numbered(alias)));

		expect(answers[0]).toEqual({
			status: 200,
			body: { result: "ok", dry_run: true, service: { id: service.id, name: service.name } },
			cost: expect.objectContaining({ d1RowsWritten: 0, doRowsWritten: 0 }),
		});
		expect(await tracesOf(integration)).toEqual(before);
		expect((await postDeploy(integration.webhook_url, numbered(alias))).status).toBe(202);
		expect((await deploysOf(alias)).map((d) => d.deploy_number)).toEqual(["2", "1"]);
	});

	it("answers no_service_found for an unknown alias without suggesting it or numbering it", async () => {
		const integration = await api.createIntegration(unique("dry"));
		const alias = unique("stranger");
		const before = await tracesOf(integration);

		expect(await postDryRun(integration.webhook_url, numbered(alias))).toEqual({
			status: 200,
			body: {
				result: "no_service_found",
				dry_run: true,
				message: `No service found matching alias '${alias}'. A deploy would record '${alias}' as a suggestion.`,
			},
			cost: expect.objectContaining({ d1RowsWritten: 0, doRowsWritten: 0 }),
		});
		expect(await tracesOf(integration)).toEqual(before);
		expect(await suggestedAliases()).not.toContain(alias);
		expect(await deploysOf(alias)).toEqual([]);

		// The first real deploy is still number 1, and only it makes the suggestion.
		expect((await postDeploy(integration.webhook_url, numbered(alias))).body.result).toBe("no_service_found");
		expect((await deploysOf(alias)).map((d) => d.deploy_number)).toEqual(["1"]);
		expect(await suggestedAliases()).toContain(alias);
	});

	it("answers duplicate_deploy for a dedup_id the integration already has, changing nothing", async () => {
		const integration = await api.createIntegration(unique("dry"));
		const payload = examplePayload({ service: unique("dup"), status: "in_progress" });
		expect((await postDeploy(integration.webhook_url, payload)).status).toBe(202);
		const before = await tracesOf(integration);

		const answer = await postDryRun(integration.webhook_url, { ...payload, status: "success" });

		expect(answer.body).toEqual({
			result: "duplicate_deploy",
			dry_run: true,
			message: "A deploy would not be created: this integration has a deploy with an identical dedup_id",
		});
		expect(await tracesOf(integration)).toEqual(before);
		// A real retry with that status would have moved the deploy on; the dry run did not.
		expect((await deploysOf(payload.service as string)).map((d) => d.status)).toEqual(["running"]);
	});

	it("refuses an invalid body with the same 400 a real request gets", async () => {
		const integration = await api.createIntegration(unique("dry"));
		const body = examplePayload({ service: "", deployed_at: "yesterday" });
		const real = await postDeploy(integration.webhook_url, body);

		const answer = await postDryRun(integration.webhook_url, body);

		expectError(answer, 400);
		expect(answer.body).toEqual(real.body);
		expect((await tracesOf(integration)).entries).toBe(0);
	});

	it("answers 404 for a revoked URL, like a real request", async () => {
		const integration = await api.createIntegration(unique("dry"));
		expect((await postDryRun(integration.webhook_url, examplePayload())).status).toBe(200);
		expect((await admin("DELETE", `/integrations/${integration.id}`)).status).toBe(204);

		const answer = await postDryRun(integration.webhook_url, examplePayload());

		expectError(answer, 404, "Integration Error");
		expect(answer.body).toEqual((await postDeploy(integration.webhook_url, examplePayload())).body);
	});

	it("answers 404 for a rotated URL past its grace, even from a Worker that still has it cached", async () => {
		const integration = await api.createIntegration(unique("dry"));
		// Cached as live in this isolate: only the ledger can now tell the URL is dead.
		expect((await postDryRun(integration.webhook_url, examplePayload())).status).toBe(200);
		expect((await admin("POST", `/integrations/${integration.id}/rotate`, { grace_seconds: 0 })).status).toBe(200);

		expectError(await postDryRun(integration.webhook_url, examplePayload()), 404, "Integration Error");
		expect((await tracesOf(integration)).entries).toBe(0);
	});

	it("counts against the rate limit, as a request the limit must be able to stop", async () => {
		const integration = await api.createIntegration(unique("dry"));
		await runInDurableObject(ledgerOf(integration), (instance: Ledger) => {
			Object.assign(instance, { limit: new RateLimit(1, 0.01) });
		});

		expect((await postDryRun(integration.webhook_url, examplePayload())).status).toBe(200);
		const real = await postDeploy(integration.webhook_url, examplePayload());
		expectError(real, 429, "Rate Limit Error");
		expectError(await postDryRun(integration.webhook_url, examplePayload()), 429, "Rate Limit Error");
	});

	it.each(["?dry_run=0", "?dry_run=false", "?dry=1"])("records as usual with %s", async (query) => {
		const integration = await api.createIntegration(unique("dry"));
		const alias = unique("real");

		const answer = await postDryRun(integration.webhook_url, examplePayload({ service: alias }), query);

		expect(answer.status).toBe(202);
		expect(answer.body).toEqual({
			result: "no_service_found",
			message: `No service found matching alias '${alias}'. Recording '${alias}' as a suggestion.`,
		});
		expect(await deploysOf(alias)).toHaveLength(1);
	});

	it.each(["?dry_run", "?dry_run=true", "?agent=x&dry_run=yes"])("is a dry run with %s", async (query) => {
		const integration = await api.createIntegration(unique("dry"));

		const answer = await postDryRun(integration.webhook_url, examplePayload(), query);

		expect(answer).toMatchObject({ status: 200, body: { dry_run: true } });
		expect((await tracesOf(integration)).entries).toBe(0);
	});
});
