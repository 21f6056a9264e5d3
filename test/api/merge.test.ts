import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { aliasClaim, moveAliasStatements } from "../../src/db/aliases";
import { claimAliases } from "../../src/db/catalog";
import { database } from "../../src/db/client";
import { aliasClaimsOf, mergeStatements, serviceStates } from "../../src/db/lifecycle";
import { isUniqueViolation } from "../../src/http/errors";
import {
	admin,
	api,
	call,
	deploysOf,
	examplePayload,
	expectError,
	integrationBeforeAll,
	postDeploy,
	unique,
	withBrokenDeployWrites,
} from "../helpers";
import { drain } from "../ledger/helpers";

const integration = integrationBeforeAll("service merges");

/** Sends a deploy under `alias` with a generated number; answers the webhook's `result`. */
async function deploy(alias: string): Promise<string> {
	const res = await postDeploy(integration.webhook_url, examplePayload({ service: alias, deploy_number: undefined }));
	expect(res.status, JSON.stringify(res.body)).toBe(202);
	return res.body.result;
}

/** Each deploy of the service as "alias #number", oldest first. */
async function numbered(serviceId: string): Promise<string[]> {
	const { results } = await env.DB.prepare(
		"SELECT service_alias, deploy_number FROM deploys WHERE service_id = ? ORDER BY received_at, id",
	)
		.bind(serviceId)
		.all<{ service_alias: string; deploy_number: string }>();
	return results.map((r) => `${r.service_alias} #${r.deploy_number}`);
}

const merge = (from: string, into: string) => admin("POST", `/services/${from}/merge`, { into_service_id: into });

/** Where GET /api/services/:id<suffix> leads: its status and Location. */
async function leadsTo(id: string, suffix = ""): Promise<[number, string | null]> {
	const res = await call(`/api/services/${id}${suffix}`, {
		headers: { Authorization: `Bearer ${env.ADMIN_TOKEN}` },
		redirect: "manual",
	});
	return [res.status, res.headers.get("Location")];
}

const listedIds = async () => (await admin("GET", "/services")).body.services.map((s: { id: string }) => s.id);

describe("POST /api/services/:id/merge", () => {
	it("gives the other service its aliases and deploys; numbering carries on above both streams", async () => {
		const [a, b] = [await api.createService(unique("Api")), await api.createService(unique("Api-old"))];
		for (let i = 0; i < 3; i++) await deploy(a.name);
		for (let i = 0; i < 7; i++) await deploy(b.name);

		const res = await merge(b.id, a.id);
		expect([res.status, res.body.id, res.body.aliases]).toEqual([200, a.id, [a.name, b.name]]);

		// The ledger asks D1 for the owner of each new deploy: B's alias is A's at once.
		expect(await deploy(b.name)).toBe("ok");
		expect(await deploy(a.name)).toBe("ok");
		expect(await numbered(a.id)).toEqual([
			...[1, 2, 3].map((n) => `${a.name} #${n}`),
			...[1, 2, 3, 4, 5, 6, 7].map((n) => `${b.name} #${n}`),
			`${b.name} #8`,
			`${a.name} #9`,
		]);
		expect(await numbered(b.id)).toEqual([]);
		// A filter by B's id, as an old link has it, shows where its deploys went.
		expect(await deploysOf(b.id)).toHaveLength(12);
	});

	it("leaves B as a tombstone: reads redirect to A, lists leave it out, the audit log says so", async () => {
		const [a, b] = [await api.createService(unique("Web")), await api.createService(unique("Web-legacy"))];
		expect((await merge(b.id, a.id)).status).toBe(200);

		expect(await leadsTo(b.id)).toEqual([301, `/api/services/${a.id}`]);
		expect(await leadsTo(b.id, "/environments")).toEqual([301, `/api/services/${a.id}/environments`]);
		expect(await listedIds()).not.toContain(b.id);
		expect(await listedIds()).toContain(a.id);
		const audit = await admin("GET", `/audit?target_type=service&target_id=${b.id}&action=service.merge`);
		expect(audit.body.events.map((e: { details: unknown }) => e.details)).toEqual([
			{ name: b.name, into_service_id: a.id, into_name: a.name, aliases: [b.name] },
		]);
	});

	it("leads B on to C when A is merged into C later", async () => {
		const [a, b, c] = [
			await api.createService(unique("A")),
			await api.createService(unique("B")),
			await api.createService(unique("C")),
		];
		expect((await merge(b.id, a.id)).status).toBe(200);
		expect((await merge(a.id, c.id)).status).toBe(200);
		expect(await leadsTo(b.id)).toEqual([301, `/api/services/${c.id}`]);
		expect(await leadsTo(a.id)).toEqual([301, `/api/services/${c.id}`]);
		// Aliases keep their order of first claim.
		expect((await admin("GET", `/services/${c.id}`)).body.aliases).toEqual([a.name, b.name, c.name]);
	});

	it("moves B's resolved suggestions and a deploy accepted before the merge but written after", async () => {
		const alias = unique("late");
		expect(await deploy(alias)).toBe("no_service_found");
		const [a, b] = [await api.createService(unique("A")), await api.createService(unique("B"), [alias])];
		await withBrokenDeployWrites(async () => {
			expect(await deploy(alias)).toBe("ok");
			expect((await merge(b.id, a.id)).status).toBe(200);
		});
		await drain(integration);
		expect(await numbered(a.id)).toEqual([`${alias} #1`, `${alias} #2`]);
		const suggestion = await env.DB.prepare("SELECT state, service_id FROM suggestions WHERE alias_key = ?")
			.bind(alias.toLowerCase())
			.first();
		expect(suggestion).toEqual({ state: "resolved", service_id: a.id });
	});

	it("counts rollbacks and restores across the merged streams: B's deploys take their place in A's", async () => {
		const [a, b] = [await api.createService(unique("A")), await api.createService(unique("B"))];
		const at = (day: number, alias: string, sha: string, status: string) =>
			postDeploy(
				integration.webhook_url,
				examplePayload({
					service: alias,
					deploy_number: undefined,
					deployed_at: `2024-03-0${day}T12:00:00Z`,
					status,
					commit: { sha },
				}),
			);
		// A runs sha 1, B ships sha 2 (failing), A ships sha 1 again: one stream once merged.
		for (const [day, alias, sha, status] of [
			[1, a.name, "1".repeat(40), "success"],
			[2, b.name, "2".repeat(40), "failure"],
			[3, a.name, "1".repeat(40), "success"],
		] as const) {
			expect((await at(day, alias, sha, status)).status).toBe(202);
		}
		await drain(integration);
		const figures = async () => {
			const query = new URLSearchParams({ service: a.id, from: "2024-03-01T00:00:00Z", to: "2024-03-05T00:00:00Z" });
			const { body } = await admin("GET", `/metrics?${query}`);
			return { rate: body.change_failure_rate, restores: body.time_to_restore.count };
		};
		expect(await figures()).toEqual({ rate: { failed: 0, rollbacks: 0, total: 2, rate: 0 }, restores: 0 });

		expect((await merge(b.id, a.id)).status).toBe(200);
		expect(await figures()).toEqual({ rate: { failed: 1, rollbacks: 1, total: 3, rate: 2 / 3 }, restores: 1 });
	});

	it("refuses merging into itself, into a merged or archived service, and a missing one; nothing changes", async () => {
		const [a, b, gone] = [
			await api.createService(unique("A")),
			await api.createService(unique("B")),
			await api.createService(unique("Gone")),
		];
		const archived = await api.createService(unique("Archived"));
		expect((await admin("POST", `/services/${archived.id}/archive`)).status).toBe(200);
		expect((await merge(gone.id, a.id)).status).toBe(200);

		expectError(await merge(b.id, b.id), 400, "Service Error");
		expectError(await merge(b.id, gone.id), 409, "Service Error");
		expectError(await merge(b.id, archived.id), 409, "Service Error");
		expectError(await merge(b.id, "no-such-service"), 404, "Service Error");
		expectError(await merge("no-such-service", a.id), 404, "Service Error");
		expectError(await admin("POST", `/services/${b.id}/merge`, {}), 400);
		expectError(await admin("POST", `/services/${b.id}/merge`, { into_service_id: 7 }), 400);
		expect(await leadsTo(b.id)).toEqual([200, null]);
		expect((await admin("GET", `/services/${b.id}`)).body.aliases).toEqual([b.name]);
	});

	it("refuses every change to a merged service with a 409", async () => {
		const [a, b] = [await api.createService(unique("A")), await api.createService(unique("B"))];
		expect((await merge(b.id, a.id)).status).toBe(200);
		expectError(await merge(b.id, a.id), 409, "Service Error");
		expectError(await admin("PATCH", `/services/${b.id}`, { name: unique("New") }), 409, "Service Error");
		expectError(await admin("POST", `/services/${b.id}/aliases`, { alias: unique("x") }), 409, "Service Error");
		expectError(await admin("POST", `/services/${b.id}/archive`), 409, "Service Error");
		expectError(await admin("DELETE", `/services/${b.id}`), 409, "Service Error");
		const stray = unique("stray");
		expect(await deploy(stray)).toBe("no_service_found");
		const suggestion = (await admin("GET", "/suggestions")).body.suggestions.find(
			(s: { alias: string }) => s.alias === stray,
		);
		expectError(
			await admin("POST", `/suggestions/${suggestion.id}/attach`, { service_id: b.id }),
			409,
			"Service id Error",
		);
		expectError(
			await admin("POST", `/services/${a.id}/aliases/${encodeURIComponent(b.name)}/move`, { to_service_id: b.id }),
			409,
			"Service Error",
		);
	});
});

describe("merge races", () => {
	it("fails a merge read before an alias move on the alias's primary key, applying nothing", async () => {
		const db = database(env.DB);
		const alias = unique("contested");
		const [a, b, c] = [
			await api.createService(unique("A")),
			await api.createService(unique("B"), [alias, unique("b")]),
			await api.createService(unique("C")),
		];
		const [states, claims] = await Promise.all([serviceStates(db, [b.id, a.id]), aliasClaimsOf(db, b.id)]);
		const [from, into] = [states.find((s) => s.id === b.id), states.find((s) => s.id === a.id)];
		if (!from || !into) throw new Error("both services should exist");
		const moved = await admin("POST", `/services/${b.id}/aliases/${alias}/move`, { to_service_id: c.id });
		expect(moved.status).toBe(200);

		const late = db.batch(mergeStatements(db, from, into, claims, Date.now()));
		await expect(late.catch(isUniqueViolation)).resolves.toBe(true);
		expect((await admin("GET", `/services/${b.id}`)).body.aliases).toEqual([b.aliases[1]]);
		expect(await numbered(a.id)).toEqual([]);
	});

	it("fails an alias move read before a merge, applying nothing", async () => {
		const db = database(env.DB);
		const [a, b, c] = [
			await api.createService(unique("A")),
			await api.createService(unique("B")),
			await api.createService(unique("C")),
		];
		const stale = await aliasClaim(db, b.name);
		if (!stale) throw new Error("the alias should be claimed");
		expect((await merge(b.id, a.id)).status).toBe(200);
		const late = db.batch(moveAliasStatements(db, stale, c.id, true, Date.now()));
		await expect(late.catch(isUniqueViolation)).resolves.toBe(true);
		expect((await aliasClaim(db, b.name))?.serviceId).toBe(a.id);
	});

	it("fails an alias added to a service read before it was merged away, applying nothing", async () => {
		const db = database(env.DB);
		const [a, b] = [await api.createService(unique("A")), await api.createService(unique("B"))];
		const alias = unique("late");
		// What adding an alias (or attaching a suggestion) writes after reading B as it was.
		expect((await merge(b.id, a.id)).status).toBe(200);
		const late = db.batch(claimAliases(db, b.id, [alias], Date.now()));
		await expect(late.catch(isUniqueViolation)).resolves.toBe(true);
		expect(await aliasClaim(db, alias)).toBeUndefined();
	});

	it("fails an alias moved to a service read before it was merged away, applying nothing", async () => {
		const db = database(env.DB);
		const [a, b, c] = [
			await api.createService(unique("A")),
			await api.createService(unique("B")),
			await api.createService(unique("C")),
		];
		const claim = await aliasClaim(db, c.name);
		if (!claim) throw new Error("the alias should be claimed");
		expect((await merge(b.id, a.id)).status).toBe(200);
		const late = db.batch(moveAliasStatements(db, claim, b.id, true, Date.now()));
		await expect(late.catch(isUniqueViolation)).resolves.toBe(true);
		expect((await aliasClaim(db, c.name))?.serviceId).toBe(c.id);
	});

	it("lets one of a merge and a move of the same alias win when both are sent at once", async () => {
		const [a, b, c] = [
			await api.createService(unique("A")),
			await api.createService(unique("B")),
			await api.createService(unique("C")),
		];
		const [merged, moved] = await Promise.all([
			merge(b.id, a.id),
			admin("POST", `/services/${b.id}/aliases/${b.name}/move`, { to_service_id: c.id }),
		]);
		const owner = (await aliasClaim(database(env.DB), b.name))?.serviceId;
		// Whichever came second was refused (409), or found the alias already gone (404).
		expect([merged.status, moved.status].sort()).toEqual([200, expect.toBeOneOf([404, 409])]);
		expect(owner).toBe(merged.status === 200 ? a.id : c.id);
	});

	it("lets only one of two merges of one service win", async () => {
		const [a, b, c] = [
			await api.createService(unique("A")),
			await api.createService(unique("B")),
			await api.createService(unique("C")),
		];
		const answers = await Promise.all([merge(b.id, a.id), merge(b.id, c.id)]);
		expect(answers.map((r) => r.status).sort()).toEqual([200, 409]);
		const winner = answers.find((r) => r.status === 200)?.body.id;
		expect(await leadsTo(b.id)).toEqual([301, `/api/services/${winner}`]);
	});

	it("never merges two services into each other", async () => {
		const [a, b] = [await api.createService(unique("A")), await api.createService(unique("B"))];
		const answers = await Promise.all([merge(a.id, b.id), merge(b.id, a.id)]);
		expect(answers.map((r) => r.status).sort()).toEqual([200, 409]);
		const survivor = answers.find((r) => r.status === 200)?.body.id;
		expect((await admin("GET", `/services/${survivor}`)).body.aliases.sort()).toEqual([a.name, b.name].sort());
	});
});
