import { describe, expect, it } from "vitest";
import { acceptedDeploy, admin, api, deploysOf, integrationBeforeAll, suggestedAliases, unique } from "../helpers";
import { escaped, rowOf, rowsMentioning, submit, view } from "./helpers";

const integration = integrationBeforeAll("ui suggestions tests");

/** Sends `count` deploys under `alias`, insisting nobody claims it. */
async function deployUnder(alias: string, count = 1) {
	for (let i = 0; i < count; i++) {
		expect((await acceptedDeploy(integration.webhook_url, { service: alias })).result).toBe("no_service_found");
	}
}

/** What a row showing `alias` holds: the alias as a cell of its own. */
const aliasCell = (alias: string) => `>${alias}</td>`;

/** The suggestions page for `state`, insisting on a 200. */
async function listed(state: "open" | "ignored" = "open") {
	const res = await view(state === "open" ? "/suggestions" : "/suggestions?state=ignored");
	expect(res.status).toBe(200);
	return res.html;
}

/** The id of the suggestion for a fresh alias with `count` deploys, read from its row as a browser would. */
async function suggested(count = 1) {
	const alias = unique("alias");
	await deployUnder(alias, count);
	const row = rowOf(await listed(), aliasCell(alias));
	const id = /action="\/suggestions\/([^/"]+)\/accept"/.exec(row)?.[1];
	if (!id) throw new Error(`the row for ${alias} has no accept form`);
	return { alias, id };
}

async function servicesNamed(name: string) {
	const res = await admin("GET", "/services");
	return (res.body.services as { id: string; name: string; aliases: string[] }[]).filter((s) => s.name === name);
}

/** The service ids of the deploys sent under `alias` (null while unmatched). */
const owners = async (alias: string) => (await deploysOf(alias)).map((d) => d.service?.id ?? null);

describe("GET /suggestions", () => {
	it("lists an unknown alias with its deploy count and three ways to settle it", async () => {
		const service = await api.createService(unique("Existing"));
		const { alias, id } = await suggested(2);
		const row = rowOf(await listed(), aliasCell(alias));
		expect(row).toContain(`>2</a>`);
		expect(row).toContain(`action="/suggestions/${id}/accept"`);
		expect(row).toMatch(new RegExp(`<label>Service name<input name="name" value="${alias}"`));
		expect(row).toContain(">Create service</button>");
		expect(row).toContain(`action="/suggestions/${id}/attach"`);
		expect(row).toMatch(/<label>Service<select name="service_id"/);
		expect(row).toContain(`<option value="${service.id}">${escaped(service.name)}</option>`);
		expect(row).toContain(">Attach</button>");
		expect(row).toContain(`action="/suggestions/${id}/ignore"`);
		expect(row).toContain(">Ignore</button>");
	});

	it("answers an unknown state with a 400 page naming the field", async () => {
		const res = await view("/suggestions?state=bogus");
		expect(res.status).toBe(400);
		expect(res.html).toMatch(/<li>[^<]*: state<\/li>/);
	});
});

describe("POST /suggestions/:id/accept", () => {
	it("creates the service, which takes the deploys already sent under the alias", async () => {
		const { alias, id } = await suggested(2);
		const name = unique("Accepted");
		const res = await submit(`/suggestions/${id}/accept`, { name });
		expect(res.status).toBe(303);
		const [service] = await servicesNamed(name);
		expect(res.location).toBe(`/services/${service?.id}?done=accepted`);
		expect(service?.aliases).toEqual([alias]);
		expect(await owners(alias)).toEqual([service?.id, service?.id]);
		expect(rowsMentioning(await listed(), aliasCell(alias))).toEqual([]);
	});

	it("names the service after the alias when the name is left as filled in", async () => {
		const { alias, id } = await suggested();
		expect((await submit(`/suggestions/${id}/accept`, { name: alias })).status).toBe(303);
		expect(await servicesNamed(alias)).toHaveLength(1);
	});

	it("refuses a taken name with a 409 on the suggestions page, changing nothing", async () => {
		const taken = await api.createService(unique("Taken"));
		const { alias, id } = await suggested();
		const res = await submit(`/suggestions/${id}/accept`, { name: taken.name });
		expect(res.status).toBe(409);
		expect(res.html).toContain("<h1>Suggestions</h1>");
		expect(res.html).toContain("already exists");
		// The row offers the name again as typed, to be corrected.
		expect(rowOf(res.html, aliasCell(alias))).toContain(`<input name="name" value="${escaped(taken.name)}"`);
		expect(await servicesNamed(taken.name)).toHaveLength(1);
		expect(await owners(alias)).toEqual([null]);
	});

	it("refuses a second accept with a 409, creating no second service", async () => {
		const { alias, id } = await suggested();
		const [first, second] = [unique("First"), unique("Second")];
		expect((await submit(`/suggestions/${id}/accept`, { name: first })).status).toBe(303);
		const res = await submit(`/suggestions/${id}/accept`, { name: second });
		expect(res.status).toBe(409);
		expect(res.html).toContain("the suggestion is resolved");
		expect(await servicesNamed(second)).toEqual([]);
		const [service] = await servicesNamed(first);
		expect(await owners(alias)).toEqual([service?.id]);
	});

	it("lets one of two racing accepts win, the other refused with a 409", async () => {
		const { alias, id } = await suggested();
		const names = [unique("Racer"), unique("Racer")];
		const results = await Promise.all(names.map((name) => submit(`/suggestions/${id}/accept`, { name })));
		expect(results.map((r) => r.status).sort()).toEqual([303, 409]);
		const created = (await Promise.all(names.map(servicesNamed))).flat();
		expect(created).toHaveLength(1);
		expect(await owners(alias)).toEqual([created[0]?.id]);
	});

	it("answers an unknown suggestion with a 404 on the suggestions page", async () => {
		const res = await submit("/suggestions/no-such-suggestion/accept", { name: unique("Nobody") });
		expect(res.status).toBe(404);
		expect(res.html).toContain("no suggestion with id");
	});
});

describe("POST /suggestions/:id/attach", () => {
	it("gives the alias and its deploys to the service, then shows the service", async () => {
		const service = await api.createService(unique("Attached"), [unique("own")]);
		const { alias, id } = await suggested(2);
		const res = await submit(`/suggestions/${id}/attach`, { service_id: service.id });
		expect(res.status).toBe(303);
		expect(res.location).toBe(`/services/${service.id}?done=alias-added`);
		const after = await admin("GET", `/services/${service.id}`);
		expect(after.body.aliases).toContain(alias);
		expect(await owners(alias)).toEqual([service.id, service.id]);
		expect(await suggestedAliases()).not.toContain(alias);
	});

	it("refuses a resolved suggestion with a 409, leaving its deploys where they are", async () => {
		const [mine, other] = [await api.createService(unique("Mine")), await api.createService(unique("Other"))];
		const { alias, id } = await suggested();
		expect((await submit(`/suggestions/${id}/attach`, { service_id: mine.id })).status).toBe(303);
		const res = await submit(`/suggestions/${id}/attach`, { service_id: other.id });
		expect(res.status).toBe(409);
		expect(res.html).toContain("the suggestion is resolved");
		expect(await owners(alias)).toEqual([mine.id]);
		expect((await admin("GET", `/services/${other.id}`)).body.aliases).not.toContain(alias);
	});

	it("refuses an unknown service with a 404, and no service chosen with a 400", async () => {
		const { alias, id } = await suggested();
		const unknown = await submit(`/suggestions/${id}/attach`, { service_id: "no-such-service" });
		expect(unknown.status).toBe(404);
		expect(unknown.html).toContain("no service with id");
		const blank = await submit(`/suggestions/${id}/attach`, { service_id: "" });
		expect(blank.status).toBe(400);
		expect(blank.html).toMatch(/<li>[^<]*: service_id<\/li>/);
		expect(rowsMentioning(blank.html, aliasCell(alias))).toHaveLength(1);
		expect(await owners(alias)).toEqual([null]);
	});
});

describe("ignore and un-ignore", () => {
	it("moves the alias to Ignored and back, with a notice each time", async () => {
		const { alias, id } = await suggested();

		const ignored = await submit(`/suggestions/${id}/ignore`);
		expect(ignored.status).toBe(303);
		const afterIgnore = await view(ignored.location ?? "");
		expect(afterIgnore.html).toContain('class="notice"');
		expect(afterIgnore.html).toContain("The alias is ignored");
		expect(rowsMentioning(afterIgnore.html, aliasCell(alias))).toEqual([]);

		const row = rowOf(await listed("ignored"), aliasCell(alias));
		expect(row).toContain(`action="/suggestions/${id}/unignore"`);
		expect(row).toContain(">Un-ignore</button>");

		const unignored = await submit(`/suggestions/${id}/unignore`);
		expect(unignored.status).toBe(303);
		const afterUnignore = await view(unignored.location ?? "");
		expect(afterUnignore.html).toContain("The alias is suggested again");
		expect(rowsMentioning(afterUnignore.html, aliasCell(alias))).toHaveLength(1);
		expect(rowsMentioning(await listed("ignored"), aliasCell(alias))).toEqual([]);
	});

	it("refuses to ignore twice (a stale page) with a 409 on the list it came from", async () => {
		const { alias, id } = await suggested();
		expect((await submit(`/suggestions/${id}/ignore`)).status).toBe(303);
		const again = await submit(`/suggestions/${id}/ignore`);
		expect(again.status).toBe(409);
		expect(again.html).toContain("the suggestion is ignored");
		const stale = await submit(`/suggestions/${id}/unignore`);
		expect(stale.status).toBe(303);
		const twice = await submit(`/suggestions/${id}/unignore`);
		expect(twice.status).toBe(409);
		expect(twice.html).toContain("the suggestion is open");
		expect(twice.html).toContain('aria-current="page">Ignored</a>');
		expect(await suggestedAliases()).toContain(alias);
	});
});

/** The notice a page confirms a change with, as text; undefined when it shows none. */
const noticeOf = (html: string) => /<p class="notice" role="status">([^<]*)<\/p>/.exec(html)?.[1];

describe("confirmations after accept and attach", () => {
	it("accept lands on the new service, saying the alias's deploys came with it", async () => {
		const { id } = await suggested(2);
		const res = await submit(`/suggestions/${id}/accept`, { name: unique("Confirmed") });
		expect(noticeOf((await view(res.location ?? "")).html)).toBe(
			"The service was created for the suggested alias, with the deploys already sent under it.",
		);
	});

	it("attach lands on the service, saying the alias and its earlier deploys joined it", async () => {
		const service = await api.createService(unique("Joined"));
		const { id } = await suggested();
		const res = await submit(`/suggestions/${id}/attach`, { service_id: service.id });
		expect(noticeOf((await view(res.location ?? "")).html)).toBe(
			"The alias was added: deploys under it, earlier ones too, now belong to this service.",
		);
	});
});
