import { listDurableObjectIds } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { parseCostHeader } from "../../src/cost/meter";
import { api, call, examplePayload, expectError, parseResponse, postDeploy, unique } from "../helpers";

const deployRows = async () =>
	(
		await env.DB.prepare("SELECT (SELECT count(*) FROM deploys) + (SELECT count(*) FROM suggestions) AS n").first<{
			n: number;
		}>()
	)?.n;

describe("a spray of made-up webhook URLs", () => {
	it("gets 404s and creates no Durable Object and no row", async () => {
		const [objectsBefore, rowsBefore] = [(await listDurableObjectIds(env.LEDGER)).length, await deployRows()];
		const tokens = [
			...Array.from({ length: 40 }, () => crypto.randomUUID()),
			"not-a-uuid",
			"%00",
			"x".repeat(5_000),
			"../../api/integrations",
		];
		const answers = await Promise.all(
			tokens.map((token) =>
				call(`/integrations/deploy/${encodeURIComponent(token)}`, {
					method: "POST",
					body: JSON.stringify(examplePayload()),
				}),
			),
		);
		for (const res of answers) {
			const cost = parseCostHeader(res.headers.get("Cost") ?? "");
			expectError(await parseResponse(res), 404);
			expect(cost).toMatchObject({ doRequests: 0, d1RowsWritten: 0 });
			// A well-formed token costs one indexed lookup; anything else none.
			expect(cost.d1Queries).toBeLessThanOrEqual(1);
		}
		expect((await listDurableObjectIds(env.LEDGER)).length).toBe(objectsBefore);
		expect(await deployRows()).toBe(rowsBefore);

		// The same counts do move for a real integration: the checks above can fail.
		const real = await api.createIntegration(unique("real"));
		expect((await postDeploy(real.webhook_url, examplePayload({ service: unique("real") }))).status).toBe(202);
		expect((await listDurableObjectIds(env.LEDGER)).length).toBe(objectsBefore + 1);
		expect(await deployRows()).toBe((rowsBefore ?? 0) + 2);
	});
});
