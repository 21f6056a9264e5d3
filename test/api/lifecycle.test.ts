import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { claimAliases } from "../../src/db/catalog";
import { database } from "../../src/db/client";
import { aliasClaimsOf, archiveStatements, deleteStatements, serviceStates } from "../../src/db/lifecycle";
import { ApiError, isUniqueViolation, orConflict } from "../../src/http/errors";
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

const integration = integrationBeforeAll("service lifecycle");

/** Sends a deploy under `alias` with a generated number; answers the webhook's `result`. */
async function deploy(alias: string, overrides: Record<string, unknown> = {}): Promise<string> {
	const payload = examplePayload({ service: alias, deploy_number: undefined, ...overrides });
	const res = await postDeploy(integration.webhook_url, payload);
	expect(res.status, JSON.stringify(res.body)).toBe(202);
	return res.body.result;
}

const listed = async (query = "") =>
	(await admin("GET", `/services${query}`)).body.services.map((s: { id: string }) => s.id);

const auditActions = async (id: string) =>
	(await admin("GET", `/audit?target_type=service&target_id=${id}`)).body.events.map(
		(e: { action: string }) => e.action,
	);

/** The one service's state as a change reads it. */
async function stateOf(id: string) {
	const [state] = await serviceStates(database(env.DB), [id]);
	if (!state) throw new Error(`service ${id} should exist`);
	return state;
}

const count = async (sql: string, ...binds: string[]) =>
	(
		await env.DB.prepare(sql)
			.bind(...binds)
			.first<{ n: number }>()
	)?.n;

describe("POST /api/services/:id/archive and /unarchive", () => {
	it("hides the service from the list until asked; its aliases still match and its deploys stay", async () => {
		const service = await api.createService(unique("Legacy"));
		const active = await api.createService(unique("Active"));
		expect(await deploy(service.name)).toBe("ok");

		const res = await admin("POST", `/services/${service.id}/archive`);
		expect([res.status, res.body.id, typeof res.body.archived_at]).toEqual([200, service.id, "string"]);
		expect(await listed()).not.toContain(service.id);
		expect(await listed("?archived=include")).toEqual(expect.arrayContaining([service.id, active.id]));
		expect(await listed("?archived=only")).toContain(service.id);
		expect(await listed("?archived=only")).not.toContain(active.id);
		expect((await admin("GET", `/services/${service.id}`)).body.archived_at).toBe(res.body.archived_at);

		expect(await deploy(service.name)).toBe("ok");
		expect((await deploysOf(service.id)).map((d) => d.deploy_number)).toEqual(["2", "1"]);

		const back = await admin("POST", `/services/${service.id}/unarchive`);
		expect([back.status, back.body.archived_at]).toEqual([200, null]);
		expect(await listed()).toContain(service.id);
		expect(await auditActions(service.id)).toEqual(["service.unarchive", "service.archive", "service.create"]);
	});

	it("changes nothing when the service already is as asked", async () => {
		const service = await api.createService(unique("Twice"));
		expect((await admin("POST", `/services/${service.id}/unarchive`)).status).toBe(200);
		expect((await admin("POST", `/services/${service.id}/archive`)).status).toBe(200);
		expect((await admin("POST", `/services/${service.id}/archive`)).status).toBe(200);
		expect(await auditActions(service.id)).toEqual(["service.archive", "service.create"]);
	});

	it("refuses a bad filter and a missing service", async () => {
		expectError(await admin("GET", "/services?archived=yes"), 400, "Archived Error");
		expectError(await admin("POST", "/services/no-such-service/archive"), 404, "Service Error");
	});

	it("fails an archive read before a merge into the service, applying nothing", async () => {
		const db = database(env.DB);
		const [a, b] = [await api.createService(unique("A")), await api.createService(unique("B"))];
		const stale = await stateOf(a.id);
		expect((await admin("POST", `/services/${b.id}/merge`, { into_service_id: a.id })).status).toBe(200);
		const late = db.batch(archiveStatements(db, stale, true, Date.now()));
		await expect(late.catch(isUniqueViolation)).resolves.toBe(true);
		expect((await stateOf(a.id)).archivedAt).toBeNull();
	});
});

describe("DELETE /api/services/:id", () => {
	it("deletes a service without deploys and frees its aliases: a later deploy is suggested", async () => {
		const alias = unique("typo");
		const service = await api.createService(unique("Typo"), [alias]);
		const res = await admin("DELETE", `/services/${service.id}`);
		expect([res.status, res.body]).toEqual([204, undefined]);
		expectError(await admin("GET", `/services/${service.id}`), 404, "Service Error");
		expect(await auditActions(service.id)).toEqual(["service.delete", "service.create"]);

		expect(await deploy(alias)).toBe("no_service_found");
		expect(await suggestedAliases()).toContain(alias);
		const again = await api.createService(unique("Fixed"), [alias]);
		expect((await deploysOf(again.id)).map((d) => d.service_alias)).toEqual([alias]);
	});

	it("refuses a service with deploys unless purge_deploys=true, then deletes them and their history", async () => {
		const service = await api.createService(unique("Doomed"));
		expect(await deploy(service.name, { status: "running" })).toBe("ok");
		expect(await deploy(service.name, { status: "success" })).toBe("ok");
		await drain(integration);

		expectError(await admin("DELETE", `/services/${service.id}`), 409, "Service Error");
		expectError(await admin("DELETE", `/services/${service.id}?purge_deploys=false`), 409, "Service Error");
		expectError(await admin("DELETE", `/services/${service.id}?purge_deploys=yes`), 400, "Purge deploys Error");
		expect(await deploysOf(service.id)).toHaveLength(2);

		expect((await admin("DELETE", `/services/${service.id}?purge_deploys=true`)).status).toBe(204);
		expect(await count("SELECT count(*) AS n FROM deploys WHERE alias_key = ?", service.name.toLowerCase())).toBe(0);
		expect(
			await count(
				"SELECT count(*) AS n FROM deploy_statuses s LEFT JOIN deploys d ON d.id = s.deploy_id WHERE d.id IS NULL",
			),
		).toBe(0);
		const audit = await admin("GET", `/audit?target_type=service&target_id=${service.id}&action=service.delete`);
		expect(audit.body.events[0].details).toEqual({ name: service.name, aliases: [service.name], purge_deploys: true });
	});

	it("removes the tombstones of services merged into it", async () => {
		const [a, b] = [await api.createService(unique("A")), await api.createService(unique("B"))];
		expect((await admin("POST", `/services/${b.id}/merge`, { into_service_id: a.id })).status).toBe(200);
		expect((await admin("DELETE", `/services/${a.id}`)).status).toBe(204);
		expectError(await admin("GET", `/services/${b.id}`), 404, "Service Error");
	});

	it("answers 404 for a missing service", async () => {
		expectError(await admin("DELETE", "/services/no-such-service"), 404, "Service Error");
	});

	it("fails a delete without purge when a deploy landed after its check, deleting nothing", async () => {
		const db = database(env.DB);
		const service = await api.createService(unique("Racing"));
		const [state, claims] = await Promise.all([stateOf(service.id), aliasClaimsOf(db, service.id)]);
		expect(await deploy(service.name)).toBe("ok");

		const late = db.batch(deleteStatements(db, state, claims, false, Date.now()));
		await expect(late.catch(isUniqueViolation)).resolves.toBe(true);
		expect((await admin("GET", `/services/${service.id}`)).body.aliases).toEqual([service.name]);
		expect(await deploysOf(service.id)).toHaveLength(1);
	});

	it("answers the conflict, not a 500, for an alias added to a service read before it was deleted", async () => {
		const db = database(env.DB);
		const b = await api.createService(unique("B"));
		expect((await admin("DELETE", `/services/${b.id}`)).status).toBe(204);
		const conflict = ApiError.of(409, "Alias Error", "claimed meanwhile");
		// What adding an alias writes after reading B as it was: the aliases' foreign key refuses it.
		const late = orConflict(db.batch(claimAliases(db, b.id, [unique("late")], Date.now())), conflict);
		await expect(late).rejects.toBe(conflict);
	});

	it("suggests the alias of a deploy accepted before the delete but written after it", async () => {
		const service = await api.createService(unique("InFlight"));
		await withBrokenDeployWrites(async () => {
			expect(await deploy(service.name)).toBe("ok");
			expect((await admin("DELETE", `/services/${service.id}`)).status).toBe(204);
		});
		await drain(integration);
		const row = await env.DB.prepare("SELECT service_id FROM deploys WHERE alias_key = ?")
			.bind(service.name.toLowerCase())
			.first();
		expect(row).toEqual({ service_id: null });
		expect(await suggestedAliases()).toContain(service.name);
	});
});
