import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import * as catalog from "../../src/db/catalog";
import { database } from "../../src/db/client";
import { isUniqueViolation } from "../../src/http/errors";
import {
	admin,
	api,
	deploysOf,
	examplePayload,
	expectError,
	ISO_DATETIME,
	integrationBeforeAll,
	postDeploy,
	suggestedAliases,
	unique,
} from "../helpers";

const integration = integrationBeforeAll("services tests");

describe("POST /api/services", () => {
	it("answers 201 with id, name, aliases, team (none yet), created_at and archived_at", async () => {
		const name = unique("Shopping Cart");
		const aliases = [unique("cart"), unique("shopping_cart")];
		const res = await admin("POST", "/services", { name, aliases });
		expect(res.status).toBe(201);
		expect(res.body).toEqual({
			id: expect.any(String),
			name,
			aliases,
			team: null,
			created_at: expect.stringMatching(ISO_DATETIME),
			archived_at: null,
		});
	});

	it("gives a service without aliases its own name as alias", async () => {
		const name = unique("checkout");
		const res = await admin("POST", "/services", { name });
		expect(res.status).toBe(201);
		expect(res.body.aliases).toEqual([name]);
	});

	it("answers 409 Alias Error for an alias another service owns", async () => {
		const alias = unique("owned");
		await api.createService(unique("owner"), [alias]);
		expectError(await admin("POST", "/services", { name: unique("thief"), aliases: [alias] }), 409, "Alias Error");
	});

	it("answers 409 Alias Error for an alias another service owns, whatever its case", async () => {
		const alias = unique("owned");
		await api.createService(unique("owner"), [alias]);
		const res = await admin("POST", "/services", { name: unique("thief"), aliases: [` ${alias.toUpperCase()} `] });
		expectError(res, 409, "Alias Error");
	});

	it("answers 409 when the name, used as the default alias, belongs to another service", async () => {
		const alias = unique("taken");
		await api.createService(unique("owner"), [alias]);
		expectError(await admin("POST", "/services", { name: alias }), 409, "Alias Error");
	});

	it("names the taken name first when both the name and an alias are taken", async () => {
		const alias = unique("both-taken");
		const taken = await api.createService(unique("Both Taken"), [alias]);
		expectError(await admin("POST", "/services", { name: taken.name, aliases: [alias] }), 409, "Name Error");
	});

	it("creates nothing when an alias is taken", async () => {
		const alias = unique("owned");
		await api.createService(unique("owner"), [alias]);
		const name = unique("thief");
		await admin("POST", "/services", { name, aliases: [unique("free"), alias] });
		const { body } = await admin("GET", "/services");
		expect(body.services.map((s: { name: string }) => s.name)).not.toContain(name);
	});

	it("answers 409 for a duplicate name", async () => {
		const name = unique("billing");
		await api.createService(name, [unique("billing-a")]);
		expectError(await admin("POST", "/services", { name, aliases: [unique("billing-b")] }), 409);
	});

	it("answers 409 for a duplicate name in another case", async () => {
		const name = unique("Billing");
		await api.createService(name, [unique("billing-a")]);
		const res = await admin("POST", "/services", { name: name.toUpperCase(), aliases: [unique("billing-b")] });
		expectError(res, 409);
	});

	it("answers 400 Name Error without a name", async () => {
		expectError(await admin("POST", "/services", { aliases: [unique("a")] }), 400, "Name Error");
	});

	it("answers 400 Name Error for a blank name", async () => {
		expectError(await admin("POST", "/services", { name: "  " }), 400, "Name Error");
	});

	it("answers 400 when aliases is not an array", async () => {
		expectError(await admin("POST", "/services", { name: unique("svc"), aliases: "svc" }), 400);
	});

	it("answers 400 when an alias is not a string", async () => {
		expectError(await admin("POST", "/services", { name: unique("svc"), aliases: [unique("ok"), 7] }), 400);
	});

	it("answers 400 for malformed JSON", async () => {
		expectError(await admin("POST", "/services", "{name:"), 400);
	});

	it("lets exactly one of two concurrent creations claim the same alias", async () => {
		const alias = unique("contested");
		const [nameA, nameB] = [unique("racer-a"), unique("racer-b")];
		const results = await Promise.all([
			admin("POST", "/services", { name: nameA, aliases: [alias] }),
			admin("POST", "/services", { name: nameB, aliases: [alias] }),
		]);
		expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
		const loser = results.find((r) => r.status === 409);
		expectError(loser ?? { status: 0, body: undefined }, 409);

		const { body } = await admin("GET", "/services");
		const racers = body.services.filter((s: { name: string }) => s.name === nameA || s.name === nameB);
		expect(racers).toHaveLength(1);
		expect(racers[0].aliases).toEqual([alias]);
	});
});

describe("a lost race", () => {
	// Requests through the test Worker run one after another, so the concurrent tests above are settled by the
	// up-front checks. This pins the fallback those checks race with: D1's unique-constraint error, seen through
	// Drizzle, must be recognised so that it answers 409 rather than 500.
	it("is recognised from D1's unique-constraint error on an alias", async () => {
		const alias = unique("raced");
		await api.createService(unique("winner"), [alias]);
		const db = database(env.DB);
		const { statements } = catalog.newService(db, unique("loser"), [alias], Date.now());
		const error = await db.batch(statements).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(Error);
		expect(isUniqueViolation(error)).toBe(true);
	});

	it("leaves no half-created service behind", async () => {
		const alias = unique("raced");
		await api.createService(unique("winner"), [alias]);
		const loser = unique("loser");
		const db = database(env.DB);
		await db.batch(catalog.newService(db, loser, [alias], Date.now()).statements).catch(() => undefined);
		const { body } = await admin("GET", "/services");
		expect(body.services.map((s: { name: string }) => s.name)).not.toContain(loser);
	});
});

describe("many aliases at once", () => {
	it("creates a service with 50 aliases, more than one D1 statement can bind", async () => {
		const aliases = Array.from({ length: 50 }, () => unique("many"));
		const res = await admin("POST", "/services", { name: unique("Many"), aliases });
		expect(res.status).toBe(201);
		expect(res.body.aliases).toHaveLength(50);
	});
});

describe("GET /api/services", () => {
	it("lists the created service under `services`", async () => {
		const service = await api.createService(unique("search"), [unique("search")]);
		const res = await admin("GET", "/services");
		expect(res.status).toBe(200);
		expect(res.body).toEqual({ services: expect.any(Array) });
		expect(res.body.services).toContainEqual(service);
	});
});

describe("GET /api/services/:id", () => {
	it("answers the service as it was created", async () => {
		const service = await api.createService(unique("search"), [unique("search"), unique("search-api")]);
		expect(await admin("GET", `/services/${service.id}`)).toEqual({ status: 200, body: service });
	});

	it("answers 404 in the error shape for an unknown id", async () => {
		expectError(await admin("GET", `/services/${crypto.randomUUID()}`), 404);
	});
});

describe("POST /api/services/:id/aliases", () => {
	it("answers 201 with the service, its aliases now including the new one", async () => {
		const first = unique("orders");
		const service = await api.createService(unique("orders"), [first]);
		const added = unique("orders-api");
		const res = await admin("POST", `/services/${service.id}/aliases`, { alias: added });
		expect(res.status).toBe(201);
		expect(res.body).toEqual({ ...service, aliases: [first, added] });
	});

	it("makes GET /api/services/:id show the new alias", async () => {
		const service = await api.createService(unique("orders"), [unique("orders")]);
		const added = unique("orders-worker");
		await admin("POST", `/services/${service.id}/aliases`, { alias: added });
		const res = await admin("GET", `/services/${service.id}`);
		expect(res.body.aliases).toContain(added);
	});

	it("answers 409 Alias Error for an alias of another service, leaving both unchanged", async () => {
		const alias = unique("owned");
		const owner = await api.createService(unique("owner"), [alias]);
		const other = await api.createService(unique("other"), [unique("other")]);
		expectError(await admin("POST", `/services/${other.id}/aliases`, { alias }), 409, "Alias Error");
		expect((await admin("GET", `/services/${other.id}`)).body).toEqual(other);
		expect((await admin("GET", `/services/${owner.id}`)).body).toEqual(owner);
	});

	it("answers 200 with the unchanged service when re-adding its own alias", async () => {
		const alias = unique("mine");
		const service = await api.createService(unique("mine"), [alias]);
		expect(await admin("POST", `/services/${service.id}/aliases`, { alias })).toEqual({ status: 200, body: service });
	});

	it("answers 200 when re-adding its own alias in another case", async () => {
		const alias = unique("mine");
		const service = await api.createService(unique("mine"), [alias]);
		const res = await admin("POST", `/services/${service.id}/aliases`, { alias: alias.toUpperCase() });
		expect(res).toEqual({ status: 200, body: service });
	});

	it("lets exactly one of two concurrent requests claim the same alias", async () => {
		const alias = unique("contested");
		const a = await api.createService(unique("racer-a"), [unique("a")]);
		const b = await api.createService(unique("racer-b"), [unique("b")]);
		const results = await Promise.all([
			admin("POST", `/services/${a.id}/aliases`, { alias }),
			admin("POST", `/services/${b.id}/aliases`, { alias }),
		]);
		expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
	});

	it("answers 404 for an unknown service", async () => {
		expectError(await admin("POST", `/services/${crypto.randomUUID()}/aliases`, { alias: unique("x") }), 404);
	});

	it("answers 400 Alias Error without an alias", async () => {
		const service = await api.createService(unique("svc"), [unique("svc")]);
		expectError(await admin("POST", `/services/${service.id}/aliases`, {}), 400, "Alias Error");
	});
});

describe("alias matching", () => {
	it("ignores case and surrounding spaces", async () => {
		const alias = unique("shopping_cart");
		await api.createService(unique("Shopping Cart"), [alias]);
		const spelled = `  ${alias.replace("shopping_cart", "Shopping_Cart")} `;
		const res = await postDeploy(integration.webhook_url, examplePayload({ service: spelled }));
		expect(res).toEqual({ status: 202, body: { result: "ok" } });
	});

	it("matches an alias registered in another case with surrounding spaces", async () => {
		const alias = unique("inventory");
		await api.createService(unique("Inventory"), [`  ${alias.toUpperCase()}  `]);
		const res = await postDeploy(integration.webhook_url, examplePayload({ service: alias }));
		expect(res).toEqual({ status: 202, body: { result: "ok" } });
	});

	it("matches a service's default alias, its name", async () => {
		const name = unique("payments");
		await api.createService(name);
		const res = await postDeploy(integration.webhook_url, examplePayload({ service: name }));
		expect(res).toEqual({ status: 202, body: { result: "ok" } });
	});
});

describe("linking earlier deploys", () => {
	it("answers no_service_found for a deploy under an unknown alias", async () => {
		const res = await postDeploy(integration.webhook_url, examplePayload({ service: unique("unknown") }));
		expect(res.status).toBe(202);
		expect(res.body.result).toBe("no_service_found");
	});

	it("links earlier deploys when the alias is added to a service", async () => {
		const alias = unique("legacy");
		await postDeploy(integration.webhook_url, examplePayload({ service: alias }));
		await postDeploy(integration.webhook_url, examplePayload({ service: alias }));
		expect((await deploysOf(alias)).map((d) => d.service)).toEqual([null, null]);

		const service = await api.createService(unique("Legacy"), [unique("legacy-new")]);
		expect((await admin("POST", `/services/${service.id}/aliases`, { alias })).status).toBe(201);

		const linked = await deploysOf(service.id);
		expect(linked).toHaveLength(2);
		for (const deploy of linked) expect(deploy.service).toEqual({ id: service.id, name: service.name });
	});

	it("links earlier deploys when a service is created with the alias", async () => {
		const alias = unique("early");
		await postDeploy(integration.webhook_url, examplePayload({ service: alias }));
		const service = await api.createService(unique("Early"), [alias]);
		const linked = await deploysOf(alias);
		expect(linked).toHaveLength(1);
		expect(linked[0].service).toEqual({ id: service.id, name: service.name });
	});

	it("links earlier deploys sent in another case", async () => {
		const alias = unique("mixed");
		await postDeploy(integration.webhook_url, examplePayload({ service: alias.toUpperCase() }));
		const service = await api.createService(unique("Mixed"), [alias]);
		expect((await deploysOf(service.id)).map((d) => d.service?.id)).toEqual([service.id]);
	});

	it("drops the suggestion when the alias is added to a service", async () => {
		const alias = unique("suggested");
		await postDeploy(integration.webhook_url, examplePayload({ service: alias }));
		expect(await suggestedAliases()).toContain(alias);
		const service = await api.createService(unique("Suggested"), [unique("suggested-new")]);
		await admin("POST", `/services/${service.id}/aliases`, { alias });
		expect(await suggestedAliases()).not.toContain(alias);
	});

	it("drops the suggestion when a service is created with the alias", async () => {
		const alias = unique("suggested");
		await postDeploy(integration.webhook_url, examplePayload({ service: alias }));
		expect(await suggestedAliases()).toContain(alias);
		await api.createService(unique("Suggested"), [alias]);
		expect(await suggestedAliases()).not.toContain(alias);
	});

	it("leaves other aliases' deploys unlinked", async () => {
		const [claimed, other] = [unique("claimed"), unique("unclaimed")];
		await postDeploy(integration.webhook_url, examplePayload({ service: claimed }));
		await postDeploy(integration.webhook_url, examplePayload({ service: other }));
		await api.createService(unique("Claimer"), [claimed]);
		expect((await deploysOf(other)).map((d) => d.service)).toEqual([null]);
		expect(await suggestedAliases()).toContain(other);
	});

	it("answers ok for deploys under the alias once it is claimed", async () => {
		const alias = unique("later");
		await postDeploy(integration.webhook_url, examplePayload({ service: alias }));
		await api.createService(unique("Later"), [alias]);
		const res = await postDeploy(integration.webhook_url, examplePayload({ service: alias }));
		expect(res).toEqual({ status: 202, body: { result: "ok" } });
	});
});

describe("PATCH /api/services/:id", () => {
	it("renames a service and keeps its aliases", async () => {
		const alias = unique("rename-me");
		const service = await api.createService(unique("Old name"), [alias]);
		const name = unique("New name");
		const res = await admin("PATCH", `/services/${service.id}`, { name });
		expect(res.status).toBe(200);
		expect(res.body).toMatchObject({ id: service.id, name, aliases: [alias] });
		expect((await admin("GET", `/services/${service.id}`)).body.name).toBe(name);
	});

	it("refuses a name another service has, ignoring case", async () => {
		const taken = await api.createService(unique("Taken"));
		const service = await api.createService(unique("Mine"));
		const res = await admin("PATCH", `/services/${service.id}`, { name: taken.name.toUpperCase() });
		expectError(res, 409, "Name Error");
		expect((await admin("GET", `/services/${service.id}`)).body.name).toBe(service.name);
	});

	it("answers 400 for a blank name and 404 for an unknown service", async () => {
		const service = await api.createService(unique("Blank"));
		expectError(await admin("PATCH", `/services/${service.id}`, { name: " " }), 400, "Name Error");
		expectError(await admin("PATCH", `/services/${crypto.randomUUID()}`, { name: "x" }), 404);
	});
});

describe("request bodies, as for the webhook", () => {
	it("refuses JSON nested deeper than 32 levels, naming where", async () => {
		const deep = `{"name":"x","extra":${"[".repeat(40)}${"]".repeat(40)}}`;
		const res = await admin("POST", "/services", deep);
		expectError(res, 400, "Body Error");
		expect(res.body.errors[0].detail).toMatch(
			/^request body nests deeper than 32 levels of arrays and objects, at extra/,
		);
	});

	it("reads a lone surrogate as U+FFFD, so the name reads back as accepted", async () => {
		const name = unique("lone");
		const res = await admin("POST", "/services", `{"name":"${name}\\ud800"}`);
		expect(res.status).toBe(201);
		expect(res.body.name).toBe(`${name}\ufffd`);
		expect((await admin("GET", `/services/${res.body.id}`)).body.name).toBe(`${name}\ufffd`);
	});
});
