import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { aliasClaim, moveAliasStatements } from "../../src/db/aliases";
import { database } from "../../src/db/client";
import { isUniqueViolation } from "../../src/http/errors";
import {
	admin,
	api,
	deploysOf,
	examplePayload,
	expectError,
	integrationBeforeAll,
	postDeploy,
	suggestedAliases,
	unique,
	withBrokenDeployWrites,
} from "../helpers";
import { drain } from "../ledger/helpers";

const integration = integrationBeforeAll("alias changes");

/** Sends a deploy under `alias` with a generated number; answers the webhook's `result`. */
async function deploy(alias: string): Promise<string> {
	const res = await postDeploy(integration.webhook_url, examplePayload({ service: alias, deploy_number: undefined }));
	expect(res.status, JSON.stringify(res.body)).toBe(202);
	return res.body.result;
}

async function deployTimes(alias: string, n: number): Promise<void> {
	for (let i = 0; i < n; i++) await deploy(alias);
}

/** Each deploy under `alias` as "number → service id (or null)", oldest first. */
async function placed(alias: string): Promise<string[]> {
	const { results } = await env.DB.prepare(
		"SELECT deploy_number, service_id FROM deploys WHERE alias_key = ? ORDER BY CAST(deploy_number AS INTEGER)",
	)
		.bind(alias.toLowerCase())
		.all<{ deploy_number: string; service_id: string | null }>();
	return results.map((r) => `${r.deploy_number} → ${r.service_id}`);
}

const move = (from: string, alias: string, body: unknown) =>
	admin("POST", `/services/${from}/aliases/${encodeURIComponent(alias)}/move`, body);

const remove = (from: string, alias: string) =>
	admin("DELETE", `/services/${from}/aliases/${encodeURIComponent(alias)}`);

async function auditActions(serviceId: string): Promise<string[]> {
	const res = await admin("GET", `/audit?target_type=service&target_id=${serviceId}`);
	return res.body.events.map((e: { action: string; details: unknown }) => `${e.action} ${JSON.stringify(e.details)}`);
}

describe("DELETE /api/services/:id/aliases/:alias", () => {
	it("takes the alias away: past deploys stay, the next deploy matches nobody and is suggested again", async () => {
		const alias = unique("typo");
		// Seen unowned first, so its suggestion exists (and is resolved by the claim below).
		expect(await deploy(alias)).toBe("no_service_found");
		const service = await api.createService(unique("Cart"), [alias, unique("cart")]);
		expect(await deploy(alias)).toBe("ok");

		const res = await remove(service.id, alias.toUpperCase());
		expect(res.status).toBe(200);
		expect(res.body.aliases).toEqual([service.aliases[1]]);

		expect(await deploy(alias)).toBe("no_service_found");
		expect(await placed(alias)).toEqual([`1 → ${service.id}`, `2 → ${service.id}`, "3 → null"]);
		expect(await suggestedAliases()).toContain(alias);
		expect(await auditActions(service.id)).toContain(`service.alias.remove {"alias":"${alias}"}`);
	});

	it("takes an alias with a slash, spaces and other letter case from the percent-encoded path", async () => {
		const alias = unique("team/web app");
		const service = await api.createService(unique("Web"), [alias, unique("web")]);
		const res = await remove(service.id, ` ${alias.toUpperCase()} `);
		expect([res.status, res.body.aliases]).toEqual([200, [service.aliases[1]]]);
	});

	it("answers 404 for an alias the service does not have, and for a missing service", async () => {
		const service = await api.createService(unique("Cart"));
		const other = await api.createService(unique("Other"));
		expectError(await remove(service.id, other.name), 404, "Alias Error");
		expectError(await remove(service.id, unique("never")), 404, "Alias Error");
		expectError(await remove("no-such-service", service.name), 404, "Service Error");
		expect((await admin("GET", `/services/${other.id}`)).body.aliases).toEqual([other.name]);
	});

	it("leaves a deploy accepted before the removal, but written after, with the service it matched", async () => {
		const service = await api.createService(unique("Cart"));
		await withBrokenDeployWrites(async () => {
			expect(await deploy(service.name)).toBe("ok");
			expect((await remove(service.id, service.name)).status).toBe(200);
		});
		await drain(integration);
		expect(await placed(service.name)).toEqual([`1 → ${service.id}`]);
	});
});

describe("POST /api/services/:id/aliases/:alias/move", () => {
	it("moves the alias with its deploys by default; numbering carries on past both histories", async () => {
		const alias = unique("checkout");
		const from = await api.createService(unique("From"), [alias]);
		const to = await api.createService(unique("To"));
		await deployTimes(alias, 2);
		await deployTimes(to.name, 5);

		const res = await move(from.id, alias, { to_service_id: to.id });
		expect(res.status).toBe(200);
		expect(res.body).toMatchObject({ id: to.id, aliases: [to.name, alias] });
		expect((await admin("GET", `/services/${from.id}`)).body.aliases).toEqual([]);

		// This ledger numbered the alias for `from` a moment ago; the next deploy is `to`'s.
		expect(await deploy(alias)).toBe("ok");
		expect(await deploy(to.name)).toBe("ok");
		expect(await placed(alias)).toEqual([`1 → ${to.id}`, `2 → ${to.id}`, `6 → ${to.id}`]);
		// Its own 1–5, the alias's 1–2 from `from`, then 6 and 7: no number given twice since the move.
		const numbers = (await deploysOf(to.id)).map((d) => Number(d.deploy_number)).sort((a, b) => a - b);
		expect(numbers).toEqual([1, 1, 2, 2, 3, 4, 5, 6, 7]);
		expect(await deploysOf(from.id)).toEqual([]);
		expect(await auditActions(from.id)).toContain(
			`service.alias.move {"alias":"${alias}","to_service_id":"${to.id}","with_deploys":true}`,
		);
	});

	it("leaves past deploys with the old service when with_deploys is false", async () => {
		const alias = unique("checkout");
		const from = await api.createService(unique("From"), [alias]);
		const to = await api.createService(unique("To"));
		await deployTimes(alias, 2);

		expect((await move(from.id, alias, { to_service_id: to.id, with_deploys: false })).status).toBe(200);
		expect(await deploy(alias)).toBe("ok");
		expect(await placed(alias)).toEqual([`1 → ${from.id}`, `2 → ${from.id}`, `3 → ${to.id}`]);
	});

	it("tells a dry run the new owner at once", async () => {
		const alias = unique("checkout");
		const from = await api.createService(unique("From"), [alias]);
		const to = await api.createService(unique("To"));
		await deploy(alias);
		await move(from.id, alias, { to_service_id: to.id });
		const url = new URL(integration.webhook_url);
		const res = await postDeploy(`${url.origin}${url.pathname}?dry_run=1`, examplePayload({ service: alias }));
		expect(res.body.service).toEqual({ id: to.id, name: to.name });
	});

	it("gives every deploy racing a move exactly one row, all with the new owner", async () => {
		const alias = unique("racing");
		const from = await api.createService(unique("From"), [alias]);
		const to = await api.createService(unique("To"));
		await deploy(alias);
		const [moved, ...results] = await Promise.all([
			move(from.id, alias, { to_service_id: to.id }),
			...Array.from({ length: 8 }, () => deploy(alias)),
		]);
		expect(moved?.status).toBe(200);
		expect(results).toEqual(Array(8).fill("ok"));
		await drain(integration);
		expect(await placed(alias)).toEqual(Array.from({ length: 9 }, (_, i) => `${i + 1} → ${to.id}`));
	});

	it("moves a deploy accepted before the move, but written after, with the alias", async () => {
		const alias = unique("late");
		const from = await api.createService(unique("From"), [alias]);
		const to = await api.createService(unique("To"));
		await withBrokenDeployWrites(async () => {
			expect(await deploy(alias)).toBe("ok");
			expect((await move(from.id, alias, { to_service_id: to.id, with_deploys: false })).status).toBe(200);
		});
		await drain(integration);
		expect(await placed(alias)).toEqual([`1 → ${to.id}`]);
	});

	it("lets one of two simultaneous changes to an alias win; the other is refused and applies nothing", async () => {
		const alias = unique("contested");
		const from = await api.createService(unique("From"), [alias]);
		const [left, right] = [await api.createService(unique("Left")), await api.createService(unique("Right"))];
		const answers = await Promise.all([
			move(from.id, alias, { to_service_id: left.id }),
			move(from.id, alias, { to_service_id: right.id }),
		]);
		const winner = answers.find((a) => a.status === 200);
		const loser = answers.find((a) => a.status !== 200);
		// Both read the alias before either wrote (409), or the loser read it after the winner moved it (404).
		expect([loser?.status, loser?.body.errors[0].title]).toEqual([expect.toBeOneOf([404, 409]), "Alias Error"]);
		expect((await aliasClaim(database(env.DB), alias))?.serviceId).toBe(winner?.body.id);
		const moves = [...(await auditActions(from.id))].filter((a) => a.startsWith("service.alias.move"));
		expect(moves).toHaveLength(1);
	});

	it("fails a change made on a stale read of the alias on the primary key, applying nothing", async () => {
		const db = database(env.DB);
		const alias = unique("stale");
		const from = await api.createService(unique("From"), [alias]);
		const [left, right] = [await api.createService(unique("Left")), await api.createService(unique("Right"))];
		const stale = await aliasClaim(db, alias);
		if (!stale) throw new Error("the alias should be claimed");
		expect((await move(from.id, alias, { to_service_id: left.id })).status).toBe(200);

		const late = db.batch(moveAliasStatements(db, stale, right.id, true, Date.now()));
		await expect(late.catch(isUniqueViolation)).resolves.toBe(true);
		expect((await aliasClaim(db, alias))?.serviceId).toBe(left.id);
	});

	it("answers 404 for a missing destination or alias, 400 for a bad body, and leaves the alias alone", async () => {
		const alias = unique("kept");
		const from = await api.createService(unique("From"), [alias]);
		expectError(await move(from.id, alias, { to_service_id: "no-such-service" }), 404, "Service Error");
		expectError(await move(from.id, unique("nope"), { to_service_id: from.id }), 404, "Alias Error");
		expectError(await move(from.id, alias, {}), 400);
		expectError(await move(from.id, alias, { to_service_id: from.id, with_deploys: "yes" }), 400);
		expectError(await move(from.id, alias, ["to_service_id"]), 400);
		expect((await admin("GET", `/services/${from.id}`)).body.aliases).toEqual([alias]);
	});
});
