import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { aliasOwner, serviceByName } from "../../src/db/catalog";
import { database } from "../../src/db/client";
import { acceptSuggestion, findSuggestion, setSuggestionIgnored } from "../../src/db/suggestions";
import { isUniqueViolation } from "../../src/http/errors";
import {
	acceptedDeploy,
	admin,
	api,
	deploysOf,
	examplePayload,
	expectError,
	type Integration,
	ISO_DATETIME,
	integrationBeforeAll,
	postDeploy,
	unique,
} from "../helpers";

const integration = integrationBeforeAll("suggestions tests");

/** Sends a deploy through the webhook, answering its result. */
async function deploy(overrides: Record<string, unknown>, to: Integration = integration) {
	return (await acceptedDeploy(to.webhook_url, overrides)).result;
}

async function listedSuggestions() {
	const res = await admin("GET", "/suggestions");
	expect(res.status).toBe(200);
	return res.body.suggestions as any[];
}

/** The suggestion whose alias has the key of `alias`, if any. */
async function suggestionFor(alias: string) {
	return (await listedSuggestions()).find((s) => s.alias.trim().toLowerCase() === alias.toLowerCase());
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
		const matching = (await listedSuggestions()).filter((s) => s.alias.toLowerCase() === alias);
		expect(matching).toHaveLength(1);
		expect(matching[0].deploy_count).toBe(2);
	});

	it("counts deploys from every integration", async () => {
		const alias = unique("everywhere");
		const other = await api.createIntegration(unique("other CI"));
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
		const all = await listedSuggestions();
		expect(all.filter((s) => s.alias === a)).toHaveLength(1);
		expect(all.filter((s) => s.alias === b)).toHaveLength(1);
		expect(new Set(all.map((s) => s.id)).size).toBe(all.length);
	});

	it("does not list an alias a service owns", async () => {
		const alias = unique("owned");
		await api.createService(unique("Owned"), [alias]);
		expect(await deploy({ service: alias })).toBe("ok");
		expect(await suggestionFor(alias)).toBeUndefined();
	});

	it("drops the suggestion once a service claims the alias", async () => {
		const alias = unique("claimed");
		await deploy({ service: alias });
		expect(await suggestionFor(alias)).toBeDefined();
		const service = await api.createService(unique("Claimer"), [unique("claimer")]);
		expect((await admin("POST", `/services/${service.id}/aliases`, { alias })).status).toBe(201);
		expect(await suggestionFor(alias)).toBeUndefined();
	});

	it("does not bring the suggestion back for deploys after the alias was claimed", async () => {
		const alias = unique("after-claim");
		await deploy({ service: alias });
		await api.createService(unique("AfterClaim"), [alias]);
		expect(await deploy({ service: alias })).toBe("ok");
		expect(await suggestionFor(alias)).toBeUndefined();
	});

	it("does not list an alias deploys only tried to reach through a revoked integration", async () => {
		const alias = unique("revoked");
		const revoked = await api.createIntegration(unique("revoked CI"));
		await admin("DELETE", `/integrations/${revoked.id}`);
		expect((await postDeploy(revoked.webhook_url, examplePayload({ service: alias }))).status).toBe(404);
		expect(await suggestionFor(alias)).toBeUndefined();
	});
});

// ---------------------------------------------------------------------------------------------------------------
// The workflow: accept, attach, ignore, unignore.

type State = "open" | "ignored";

/** GET /api/suggestions (with `?state=` when given), insisting on a 200. */
async function listed(state?: State) {
	const res = await admin("GET", state ? `/suggestions?state=${state}` : "/suggestions");
	expect(res.status).toBe(200);
	return res.body.suggestions as any[];
}

const ids = (list: { id: string }[]) => list.map((s) => s.id);

/** A fresh alias with `count` unmatched deploys, and its open suggestion as the API lists it. */
async function openSuggestion(prefix: string, count = 1) {
	const alias = unique(prefix);
	for (let i = 0; i < count; i++) expect(await deploy({ service: alias })).toBe("no_service_found");
	const suggestion = (await listed("open")).find((s) => s.alias === alias);
	expect(suggestion).toBeDefined();
	return suggestion;
}

/** POST /api/suggestions/:id/<action>, with a JSON body if given. */
const act = (id: string, action: "accept" | "attach" | "ignore" | "unignore", body?: unknown) =>
	admin("POST", `/suggestions/${id}/${action}`, body);

/** The services whose name is `name`, ignoring case. */
async function servicesNamed(name: string) {
	const res = await admin("GET", "/services");
	expect(res.status).toBe(200);
	return res.body.services.filter((s: { name: string }) => s.name.toLowerCase() === name.toLowerCase());
}

/** The suggestion as stored, whichever state it is in. */
const stored = (id: string) => findSuggestion(database(env.DB), id);

async function eventCount(suggestionId: string) {
	const row = await env.DB.prepare("SELECT count(*) AS n FROM suggestion_events WHERE suggestion_id = ?")
		.bind(suggestionId)
		.first<{ n: number }>();
	return row?.n;
}

/** The actions taken on a suggestion, in the order of their versions. */
async function eventActions(suggestionId: string) {
	const { results } = await env.DB.prepare(
		"SELECT action FROM suggestion_events WHERE suggestion_id = ? ORDER BY version",
	)
		.bind(suggestionId)
		.all<{ action: string }>();
	return results.map((r) => r.action);
}

/** The ids of the services the deploys under `alias` belong to, one entry per deploy. */
async function linkedServices(alias: string) {
	return (await deploysOf(alias)).map((d) => d.service?.id ?? null);
}

describe("POST /api/suggestions/:id/accept", () => {
	it("answers 201 with the resolved suggestion and a new service, named after the alias, that owns it", async () => {
		const s = await openSuggestion("accept");

		const res = await act(s.id, "accept");

		expect(res.status).toBe(201);
		expect(res.body).toEqual({
			suggestion: {
				id: s.id,
				alias: s.alias,
				state: "resolved",
				service_id: expect.any(String),
				deploy_count: expect.any(Number),
				first_seen_at: expect.toBeOneOf([null, expect.stringMatching(ISO_DATETIME)]),
				last_seen_at: expect.toBeOneOf([null, expect.stringMatching(ISO_DATETIME)]),
			},
			service: {
				id: res.body.suggestion.service_id,
				name: s.alias,
				aliases: [s.alias],
				team: null,
				created_at: expect.stringMatching(ISO_DATETIME),
				archived_at: null,
			},
		});
		expect((await admin("GET", `/services/${res.body.service.id}`)).body).toEqual(res.body.service);
	});

	it("names the service as told, trimmed", async () => {
		const s = await openSuggestion("named");
		const name = unique("Accepted Service");
		const res = await act(s.id, "accept", { name: `  ${name}  ` });
		expect(res.status).toBe(201);
		expect(res.body.service).toMatchObject({ name, aliases: [s.alias] });
	});

	it.each([
		["no body", undefined],
		["an empty object", {}],
		["a blank name", { name: "  " }],
		["a null name", { name: null }],
	])("names the service after the alias given %s", async (_, body) => {
		const s = await openSuggestion("default-name");
		const res = await act(s.id, "accept", body);
		expect(res.status).toBe(201);
		expect(res.body.service.name).toBe(s.alias);
	});

	it("links every earlier deploy under the alias, in any case and from any integration", async () => {
		const s = await openSuggestion("accept-links", 2);
		await deploy({ service: s.alias.toUpperCase() });
		await deploy({ service: s.alias }, await api.createIntegration(unique("accept CI")));

		const res = await act(s.id, "accept");

		const service = { id: res.body.service.id, name: res.body.service.name };
		const linked = await deploysOf(s.alias);
		expect(linked).toHaveLength(4);
		for (const d of linked) expect(d.service).toEqual(service);
		expect(await deploysOf(service.id)).toHaveLength(4);
	});

	it("takes the suggestion off the open list; later deploys under the alias answer ok", async () => {
		const s = await openSuggestion("accept-closes");
		const { body } = await act(s.id, "accept");

		expect(ids(await listed("open"))).not.toContain(s.id);
		expect(await deploy({ service: s.alias })).toBe("ok");
		expect(ids(await listed("open"))).not.toContain(s.id);
		expect(ids(await listed("ignored"))).not.toContain(s.id);
		expect(await linkedServices(s.alias)).toEqual([body.service.id, body.service.id]);
	});

	it("accepts an ignored suggestion", async () => {
		const s = await openSuggestion("accept-ignored");
		expect((await act(s.id, "ignore")).status).toBe(200);

		const res = await act(s.id, "accept");

		expect(res.status).toBe(201);
		expect(res.body.suggestion).toMatchObject({ state: "resolved", service_id: res.body.service.id });
		expect(ids(await listed("ignored"))).not.toContain(s.id);
		expect(await linkedServices(s.alias)).toEqual([res.body.service.id]);
		expect(await deploy({ service: s.alias })).toBe("ok");
	});
});

describe("POST /api/suggestions/:id/attach", () => {
	it("answers 200 with the resolved suggestion and the service, which now owns the alias too", async () => {
		const s = await openSuggestion("attach");
		const target = await api.createService(unique("Attach Target"));

		const res = await act(s.id, "attach", { service_id: target.id });

		expect(res.status).toBe(200);
		expect(res.body).toEqual({
			suggestion: {
				id: s.id,
				alias: s.alias,
				state: "resolved",
				service_id: target.id,
				deploy_count: expect.any(Number),
				first_seen_at: expect.toBeOneOf([null, expect.stringMatching(ISO_DATETIME)]),
				last_seen_at: expect.toBeOneOf([null, expect.stringMatching(ISO_DATETIME)]),
			},
			service: {
				id: target.id,
				name: target.name,
				aliases: expect.arrayContaining([target.name, s.alias]),
				team: null,
				created_at: expect.stringMatching(ISO_DATETIME),
				archived_at: null,
			},
		});
		expect(res.body.service.aliases).toHaveLength(2);
	});

	it("links every earlier deploy under the alias to the service", async () => {
		const s = await openSuggestion("attach-links", 3);
		const target = await api.createService(unique("Attach Links"));

		await act(s.id, "attach", { service_id: target.id });

		const linked = await deploysOf(s.alias);
		expect(linked).toHaveLength(3);
		for (const d of linked) expect(d.service).toEqual({ id: target.id, name: target.name });
	});

	it("takes the suggestion off the open list; later deploys under the alias answer ok", async () => {
		const s = await openSuggestion("attach-closes");
		const target = await api.createService(unique("Attach Closes"));
		await act(s.id, "attach", { service_id: target.id });

		expect(ids(await listed("open"))).not.toContain(s.id);
		expect(await deploy({ service: s.alias })).toBe("ok");
		expect(ids(await listed("open"))).not.toContain(s.id);
		expect(await linkedServices(s.alias)).toEqual([target.id, target.id]);
	});

	it("attaches an ignored suggestion", async () => {
		const s = await openSuggestion("attach-ignored");
		const target = await api.createService(unique("Attach Ignored"));
		await act(s.id, "ignore");

		const res = await act(s.id, "attach", { service_id: target.id });

		expect(res.status).toBe(200);
		expect(res.body.suggestion).toMatchObject({ state: "resolved", service_id: target.id });
		expect(ids(await listed("ignored"))).not.toContain(s.id);
		expect(await linkedServices(s.alias)).toEqual([target.id]);
	});
});

describe("POST /api/suggestions/:id/ignore and /unignore", () => {
	it("ignore answers 200 { suggestion } in state ignored; it leaves the open list for the ignored one", async () => {
		const s = await openSuggestion("ignore");

		const res = await act(s.id, "ignore");

		expect(res).toEqual({ status: 200, body: { suggestion: { ...s, state: "ignored" } } });
		expect(ids(await listed("open"))).not.toContain(s.id);
		expect((await listed("ignored")).find((x) => x.id === s.id)).toEqual({ ...s, state: "ignored" });
	});

	it("keeps counting deploys under an ignored alias, which still answer no_service_found, without reopening it", async () => {
		const s = await openSuggestion("ignore-counts");
		await act(s.id, "ignore");

		expect(await deploy({ service: s.alias })).toBe("no_service_found");
		expect(await deploy({ service: s.alias.toUpperCase() })).toBe("no_service_found");

		expect(ids(await listed("open"))).not.toContain(s.id);
		expect((await listed("ignored")).find((x) => x.id === s.id)).toMatchObject({ state: "ignored", deploy_count: 3 });
		expect(await linkedServices(s.alias)).toEqual([null, null, null]);
	});

	it("unignore answers 200 { suggestion } and brings it back to the open list with every deploy counted", async () => {
		const s = await openSuggestion("unignore");
		await act(s.id, "ignore");
		await deploy({ service: s.alias });

		const res = await act(s.id, "unignore");

		expect(res.status).toBe(200);
		expect(res.body).toEqual({ suggestion: expect.objectContaining({ id: s.id, state: "open", deploy_count: 2 }) });
		expect((await listed("open")).find((x) => x.id === s.id)).toEqual(res.body.suggestion);
		expect(ids(await listed("ignored"))).not.toContain(s.id);
	});

	it("can be ignored again after an unignore", async () => {
		const s = await openSuggestion("reignore");
		for (const action of ["ignore", "unignore", "ignore"] as const) expect((await act(s.id, action)).status).toBe(200);
		expect(ids(await listed("ignored"))).toContain(s.id);
	});
});

describe("GET /api/suggestions?state=", () => {
	it("lists open suggestions by default, and only those", async () => {
		const [open, ignored] = [await openSuggestion("list-open"), await openSuggestion("list-ignored")];
		await act(ignored.id, "ignore");

		const byDefault = ids(await listed());
		expect(byDefault).toContain(open.id);
		expect(byDefault).not.toContain(ignored.id);
		expect(byDefault).toEqual(ids(await listed("open")));
		const list = await listed();
		expect(list.map((s) => [s.id, s.state])).toEqual(list.map((s) => [s.id, "open"]));
	});

	it("lists only ignored suggestions for state=ignored", async () => {
		const [open, ignored] = [await openSuggestion("only-open"), await openSuggestion("only-ignored")];
		await act(ignored.id, "ignore");

		const list = await listed("ignored");
		expect(ids(list)).toContain(ignored.id);
		expect(ids(list)).not.toContain(open.id);
		expect(list.map((s) => [s.id, s.state])).toEqual(list.map((s) => [s.id, "ignored"]));
	});

	it.each(["bogus", "resolved", "all"])("refuses state=%s with a 400", async (state) => {
		expectError(await admin("GET", `/suggestions?state=${state}`), 400, "State Error");
	});
});

describe("suggestion actions that cannot be taken", () => {
	it.each([
		["accept", undefined],
		["attach", "target"],
		["ignore", undefined],
		["unignore", undefined],
	] as const)("%s of a resolved suggestion is a 409 that changes nothing", async (action, body) => {
		const s = await openSuggestion("resolved");
		const accepted = await act(s.id, "accept");
		const target = await api.createService(unique("Late Target"));

		const res = await act(s.id, action, body && { service_id: target.id });

		expectError(res, 409, "Suggestion Error");
		expect(await stored(s.id)).toMatchObject({ state: "resolved", serviceId: accepted.body.service.id });
		expect(await linkedServices(s.alias)).toEqual([accepted.body.service.id]);
		expect((await admin("GET", `/services/${target.id}`)).body.aliases).toEqual([target.name]);
	});

	it("ignore of an ignored suggestion is a 409", async () => {
		const s = await openSuggestion("ignore-twice");
		await act(s.id, "ignore");
		expectError(await act(s.id, "ignore"), 409, "Suggestion Error");
		expect(ids(await listed("ignored"))).toContain(s.id);
	});

	it("unignore of an open suggestion is a 409", async () => {
		const s = await openSuggestion("unignore-open");
		expectError(await act(s.id, "unignore"), 409, "Suggestion Error");
		expect(ids(await listed("open"))).toContain(s.id);
	});

	it.each([
		["accept", undefined],
		["attach", { service_id: "whatever" }],
		["ignore", undefined],
		["unignore", undefined],
	] as const)("%s of an unknown suggestion is a 404", async (action, body) => {
		expectError(await act(crypto.randomUUID(), action, body), 404, "Suggestion Error");
	});

	it("attach of a resolved suggestion to an unknown service answers the suggestion's 409 first", async () => {
		const s = await openSuggestion("resolved-then-nowhere");
		expect((await act(s.id, "accept")).status).toBe(201);
		expectError(await act(s.id, "attach", { service_id: crypto.randomUUID() }), 409, "Suggestion Error");
	});

	it("attach to an unknown service is a 404 that leaves the suggestion open", async () => {
		const s = await openSuggestion("attach-nowhere");
		expectError(await act(s.id, "attach", { service_id: crypto.randomUUID() }), 404, "Service id Error");
		expect(ids(await listed("open"))).toContain(s.id);
		expect(await linkedServices(s.alias)).toEqual([null]);
	});

	it.each([
		["the same name", (name: string) => name],
		["the name in another case", (name: string) => name.toUpperCase()],
	])("accept with a name already taken (%s) is a 409 that changes nothing", async (_, spell) => {
		const s = await openSuggestion("name-taken");
		const taken = await api.createService(unique("Taken Name"));

		expectError(await act(s.id, "accept", { name: spell(taken.name) }), 409);

		expect(ids(await listed("open"))).toContain(s.id);
		expect(await linkedServices(s.alias)).toEqual([null]);
		expect(await servicesNamed(taken.name)).toHaveLength(1);
	});

	it("accept without a name is a 409 when a service already has the alias as its name", async () => {
		const s = await openSuggestion("alias-as-name");
		await api.createService(s.alias, [unique("other-alias")]);

		expectError(await act(s.id, "accept"), 409);

		expect(ids(await listed("open"))).toContain(s.id);
		expect(await servicesNamed(s.alias)).toHaveLength(1);
	});

	it.each([
		["no body", undefined],
		["an empty object", {}],
		["a blank service_id", { service_id: " " }],
		["a numeric service_id", { service_id: 42 }],
		["an array service_id", { service_id: ["x"] }],
		["an object service_id", { service_id: { id: "x" } }],
		["a body that is an array", [{ service_id: "x" }]],
		["a body that is not JSON", "{service_id:"],
	])("attach with %s is a 400", async (_, body) => {
		const s = await openSuggestion("attach-bad");
		expectError(await act(s.id, "attach", body), 400);
		expect(ids(await listed("open"))).toContain(s.id);
	});

	it.each([
		["a numeric name", { name: 42 }],
		["an object name", { name: { first: "x" } }],
		["a name over 255 characters", { name: "x".repeat(256) }],
		["a body that is an array", ["name"]],
		["a body that is not JSON", "{name:"],
	])("accept with %s is a 400", async (_, body) => {
		const s = await openSuggestion("accept-bad");
		expectError(await act(s.id, "accept", body), 400);
		expect(ids(await listed("open"))).toContain(s.id);
		expect(await linkedServices(s.alias)).toEqual([null]);
	});
});

describe("racing suggestion actions", () => {
	/** Fires both requests together; insists one succeeded and the other got a 409, answering the winner's index. */
	async function race(...requests: Promise<{ status: number; body: any }>[]) {
		const results = await Promise.all(requests);
		const won = results.map((r) => r.status < 300);
		expect(won.filter(Boolean)).toHaveLength(1);
		const loser = results[won.indexOf(false)];
		expect(loser).toBeDefined();
		if (loser) expectError(loser, 409);
		return { winner: won.indexOf(true), results };
	}

	it("accept vs accept: one service is created, not two", async () => {
		const s = await openSuggestion("race-accept");

		const { winner, results } = await race(act(s.id, "accept"), act(s.id, "accept"));

		const service = results[winner]?.body.service;
		expect(await servicesNamed(s.alias)).toHaveLength(1);
		expect(await stored(s.id)).toMatchObject({ state: "resolved", serviceId: service.id });
		expect(await linkedServices(s.alias)).toEqual([service.id]);
		expect(await eventCount(s.id)).toBe(1);
	});

	it("accept vs accept under different names: only the winner's service exists", async () => {
		const s = await openSuggestion("race-names");
		const names = [unique("First"), unique("Second")];

		const { winner } = await race(...names.map((name) => act(s.id, "accept", { name })));

		expect(await servicesNamed(names[winner] ?? "")).toHaveLength(1);
		expect(await servicesNamed(names[1 - winner] ?? "")).toHaveLength(0);
	});

	it("accept vs attach: the alias ends up with the winner's service only", async () => {
		const s = await openSuggestion("race-attach");
		const target = await api.createService(unique("Race Target"));

		const { winner, results } = await race(act(s.id, "accept"), act(s.id, "attach", { service_id: target.id }));

		const owner = winner === 0 ? results[0]?.body.service.id : target.id;
		expect(await servicesNamed(s.alias)).toHaveLength(winner === 0 ? 1 : 0);
		const targetAliases = (await admin("GET", `/services/${target.id}`)).body.aliases;
		expect(targetAliases.includes(s.alias)).toBe(winner === 1);
		expect(await stored(s.id)).toMatchObject({ state: "resolved", serviceId: owner });
		expect(await linkedServices(s.alias)).toEqual([owner]);
	});

	it("accept vs ignore: resolved with a service, or ignored with none, never both nor neither", async () => {
		const s = await openSuggestion("race-ignore");

		const [accepted, ignored] = await Promise.all([act(s.id, "accept"), act(s.id, "ignore")]);

		// An ignored suggestion may still be accepted, so "ignore, then accept" is a legal order
		// when the ignore lands before the accept reads: then both succeed, one after the other.
		const serviceId = accepted.status < 300 ? accepted.body.service.id : null;
		const outcome = {
			answers: [accepted.status, ignored.status],
			state: (await stored(s.id))?.state,
			linked: await linkedServices(s.alias),
			events: await eventActions(s.id),
			services: (await servicesNamed(s.alias)).length,
		};
		const acceptWon = { state: "resolved", linked: [serviceId], services: 1 };
		expect([
			{ answers: [201, 409], events: ["accept"], ...acceptWon },
			{ answers: [201, 200], events: ["ignore", "accept"], ...acceptWon },
			{ answers: [409, 200], events: ["ignore"], state: "ignored", linked: [null], services: 0 },
		]).toContainEqual(outcome);
	});

	it("ignore vs ignore: one ignores, one event is recorded", async () => {
		const s = await openSuggestion("race-ignore-twice");

		await race(act(s.id, "ignore"), act(s.id, "ignore"));

		expect(await stored(s.id)).toMatchObject({ state: "ignored", version: 1 });
		expect(await eventCount(s.id)).toBe(1);
	});
});

// The API checks the state before it writes; should two requests both pass that check, the event row keyed by the
// version they read lets only one batch through. These pin that fallback with the same stale read used twice.
describe("suggestion writes from a stale read", () => {
	const db = () => database(env.DB);

	async function staleRead(prefix: string) {
		const s = await openSuggestion(prefix);
		const suggestion = await findSuggestion(db(), s.id);
		if (!suggestion) throw new Error("the suggestion is gone");
		return suggestion;
	}

	it("a second accept fails on a unique index and creates no second service", async () => {
		const s = await staleRead("stale-accept");
		const first = await acceptSuggestion(db(), s, unique("First"));
		const second = unique("Second");

		await expect(acceptSuggestion(db(), s, second)).rejects.toSatisfy(isUniqueViolation);

		expect(await serviceByName(db(), second)).toBeUndefined();
		expect(await stored(s.id)).toMatchObject({ state: "resolved", serviceId: first, version: 1 });
		expect((await aliasOwner(db(), s.alias))?.serviceId).toBe(first);
		expect(await eventCount(s.id)).toBe(1);
	});

	it("a second ignore fails on a unique index and leaves one ignore", async () => {
		const s = await staleRead("stale-ignore");
		await setSuggestionIgnored(db(), s, true);

		await expect(setSuggestionIgnored(db(), s, true)).rejects.toSatisfy(isUniqueViolation);

		expect(await stored(s.id)).toMatchObject({ state: "ignored", version: 1 });
		expect(await eventCount(s.id)).toBe(1);
	});

	it("an accept read before an ignore fails, creating no service and linking nothing", async () => {
		const s = await staleRead("stale-accept-after-ignore");
		await setSuggestionIgnored(db(), s, true);
		const name = unique("Too Late");

		await expect(acceptSuggestion(db(), s, name)).rejects.toSatisfy(isUniqueViolation);

		expect(await serviceByName(db(), name)).toBeUndefined();
		expect(await aliasOwner(db(), s.alias)).toBeNull();
		expect(await linkedServices(s.alias)).toEqual([null]);
		expect(await stored(s.id)).toMatchObject({ state: "ignored", serviceId: null, version: 1 });
		expect(await eventCount(s.id)).toBe(1);
	});

	it("an ignore read before an accept fails, leaving it resolved", async () => {
		const s = await staleRead("stale-ignore-after-accept");
		const serviceId = await acceptSuggestion(db(), s, unique("Winner"));

		await expect(setSuggestionIgnored(db(), s, true)).rejects.toSatisfy(isUniqueViolation);

		expect(await stored(s.id)).toMatchObject({ state: "resolved", serviceId, version: 1 });
		expect(await eventCount(s.id)).toBe(1);
	});

	it("an unignore read before another unignore fails, leaving it open", async () => {
		const s = await staleRead("stale-unignore");
		await setSuggestionIgnored(db(), s, true);
		const ignored = await findSuggestion(db(), s.id);
		if (!ignored) throw new Error("the suggestion is gone");
		await setSuggestionIgnored(db(), ignored, false);

		await expect(setSuggestionIgnored(db(), ignored, false)).rejects.toSatisfy(isUniqueViolation);

		expect(await stored(s.id)).toMatchObject({ state: "open", version: 2 });
		expect(await eventCount(s.id)).toBe(2);
	});

	// POST /api/services claims the alias (resolving the suggestion) without an event row, so the event key alone
	// does not stop an ignore that read the suggestion before the claim.
	it("an ignore read before a service claimed the alias fails, leaving it resolved", async () => {
		const s = await staleRead("stale-ignore-after-claim");
		const service = await api.createService(unique("Claimer"), [s.alias]);

		const outcome = await setSuggestionIgnored(db(), s, true).then(
			() => "applied",
			(error) => (isUniqueViolation(error) ? "refused" : error),
		);

		expect(await stored(s.id)).toMatchObject({ state: "resolved", serviceId: service.id });
		expect(outcome).toBe("refused");
	});
});
