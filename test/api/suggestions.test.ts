import { describe, expect, it } from "vitest";
import {
	admin,
	createIntegration,
	createService,
	examplePayload,
	type Integration,
	ISO_DATETIME,
	integrationBeforeAll,
	postDeploy,
	unique,
} from "../helpers";

const integration = integrationBeforeAll("suggestions tests");

/** Sends a deploy through the webhook, answering its result. */
async function deploy(overrides: Record<string, unknown>, to: Integration = integration) {
	const res = await postDeploy(to.webhook_url, examplePayload(overrides));
	expect(res.status).toBe(202);
	return res.body.result as string;
}

async function suggestions() {
	const res = await admin("GET", "/suggestions");
	expect(res.status).toBe(200);
	return res.body.suggestions as any[];
}

/** The suggestion whose alias has the key of `alias`, if any. */
async function suggestionFor(alias: string) {
	return (await suggestions()).find((s) => s.alias.trim().toLowerCase() === alias.toLowerCase());
}

describe("GET /api/suggestions", () => {
	it("answers { suggestions: [...] }", async () => {
		await deploy({ service: unique("shape") });
		const res = await admin("GET", "/suggestions");
		expect(res.status).toBe(200);
		expect(res.body).toEqual({ suggestions: expect.any(Array) });
	});

	it("lists an alias an unmatched deploy arrived under, with id, alias, deploy_count and times", async () => {
		const alias = unique("unmatched");
		expect(await deploy({ service: alias })).toBe("no_service_found");
		expect(await suggestionFor(alias)).toEqual({
			id: expect.any(String),
			alias,
			state: "open",
			service_id: null,
			deploy_count: 1,
			first_seen_at: expect.stringMatching(ISO_DATETIME),
			last_seen_at: expect.stringMatching(ISO_DATETIME),
		});
	});

	it("counts every unmatched deploy under the alias", async () => {
		const alias = unique("counted");
		await deploy({ service: alias });
		expect((await suggestionFor(alias))?.deploy_count).toBe(1);
		await deploy({ service: alias });
		await deploy({ service: alias });
		expect((await suggestionFor(alias))?.deploy_count).toBe(3);
	});

	it("counts deploys sent under the alias in another case as one suggestion", async () => {
		const alias = unique("cased");
		await deploy({ service: alias });
		await deploy({ service: alias.toUpperCase() });
		const matching = (await suggestions()).filter((s) => s.alias.toLowerCase() === alias);
		expect(matching).toHaveLength(1);
		expect(matching[0].deploy_count).toBe(2);
	});

	it("counts deploys from every integration", async () => {
		const alias = unique("everywhere");
		const other = await createIntegration(unique("other CI"));
		await deploy({ service: alias });
		await deploy({ service: alias }, other);
		expect((await suggestionFor(alias))?.deploy_count).toBe(2);
	});

	it("does not count a duplicate (same dedup_id)", async () => {
		const alias = unique("dup");
		const dedup_id = crypto.randomUUID();
		await deploy({ service: alias, dedup_id });
		expect(await deploy({ service: alias, dedup_id })).toBe("duplicate_deploy");
		expect((await suggestionFor(alias))?.deploy_count).toBe(1);
	});

	it("keeps first_seen_at at the first deploy and moves last_seen_at on", async () => {
		const alias = unique("seen");
		await deploy({ service: alias });
		const before = await suggestionFor(alias);
		await deploy({ service: alias });
		const after = await suggestionFor(alias);
		expect(after?.id).toBe(before?.id);
		expect(after?.first_seen_at).toBe(before?.first_seen_at);
		expect(Date.parse(after?.last_seen_at)).toBeGreaterThanOrEqual(Date.parse(before?.last_seen_at));
		expect(Date.parse(after?.first_seen_at)).toBeLessThanOrEqual(Date.parse(after?.last_seen_at));
	});

	it("lists each alias once, with ids distinct between aliases", async () => {
		const [a, b] = [unique("one"), unique("two")];
		await deploy({ service: a });
		await deploy({ service: b });
		await deploy({ service: a });
		const all = await suggestions();
		expect(all.filter((s) => s.alias === a)).toHaveLength(1);
		expect(all.filter((s) => s.alias === b)).toHaveLength(1);
		expect(new Set(all.map((s) => s.id)).size).toBe(all.length);
	});

	it("does not list an alias a service owns", async () => {
		const alias = unique("owned");
		await createService(unique("Owned"), [alias]);
		expect(await deploy({ service: alias })).toBe("ok");
		expect(await suggestionFor(alias)).toBeUndefined();
	});

	it("drops the suggestion once a service claims the alias", async () => {
		const alias = unique("claimed");
		await deploy({ service: alias });
		expect(await suggestionFor(alias)).toBeDefined();
		const service = await createService(unique("Claimer"), [unique("claimer")]);
		expect((await admin("POST", `/services/${service.id}/aliases`, { alias })).status).toBe(201);
		expect(await suggestionFor(alias)).toBeUndefined();
	});

	it("does not bring the suggestion back for deploys after the alias was claimed", async () => {
		const alias = unique("after-claim");
		await deploy({ service: alias });
		await createService(unique("AfterClaim"), [alias]);
		expect(await deploy({ service: alias })).toBe("ok");
		expect(await suggestionFor(alias)).toBeUndefined();
	});

	it("does not list an alias deploys only tried to reach through a revoked integration", async () => {
		const alias = unique("revoked");
		const revoked = await createIntegration(unique("revoked CI"));
		await admin("DELETE", `/integrations/${revoked.id}`);
		expect((await postDeploy(revoked.webhook_url, examplePayload({ service: alias }))).status).toBe(404);
		expect(await suggestionFor(alias)).toBeUndefined();
	});
});
