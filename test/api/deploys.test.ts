import { describe, expect, it } from "vitest";
import {
	admin,
	createService,
	type DeploysPage,
	examplePayload,
	expectError,
	integrationBeforeAll,
	listDeploys,
	postDeploy,
	unique,
} from "../helpers";

const integration = integrationBeforeAll("deploys tests");

/** Sends a deploy through the webhook, insisting it was accepted. */
async function deploy(overrides: Record<string, unknown>) {
	const res = await postDeploy(integration.webhook_url, examplePayload(overrides));
	expect(res.status).toBe(202);
	return res.body;
}

/** Every page of a listing, following next_cursor to the end. */
async function allPages(params: Record<string, string | number>) {
	const pages: DeploysPage[] = [];
	let cursor: string | null = null;
	do {
		const page = await listDeploys(cursor === null ? params : { ...params, cursor });
		pages.push(page);
		cursor = page.next_cursor;
	} while (cursor !== null && pages.length < 20);
	return pages;
}

const dedupIds = (deploys: { dedup_id: string }[]) => deploys.map((d) => d.dedup_id);
const numbers = (deploys: { deploy_number: string }[]) => deploys.map((d) => d.deploy_number);

describe("GET /api/deploys", () => {
	it("answers { deploys, next_cursor }", async () => {
		const body = await listDeploys({ limit: 1 });
		expect(body).toEqual({ deploys: expect.any(Array), next_cursor: expect.toBeOneOf([null, expect.any(String)]) });
	});

	it("presents a deploy as it was sent", async () => {
		const alias = unique("shopping_cart");
		const payload = examplePayload({ service: alias, deploy_url: "https://ci.example.com/builds/234" });
		await deploy(payload);
		const [listed] = (await listDeploys({ service: alias })).deploys;
		expect(listed).toMatchObject({
			integration_id: integration.id,
			service: null,
			service_alias: alias,
			environment: "Production",
			description: "Deployed by CI Pipeline: Deploy #234",
			deployed_at: "2019-02-01T13:28:33.000Z",
			deploy_number: "234",
			deploy_url: "https://ci.example.com/builds/234",
			dedup_id: payload.dedup_id,
			deployer: {
				id: "1a9f841f-9a3d-4423-a05a-7e9c31a02b16",
				email: "michael@example.com",
				name: "Michael Scott",
				person_id: expect.any(String),
			},
			commit: {
				sha: "38d02f1d7aab64678a7ad3eeb2ad2887ce7253f5",
				branch: "master",
				message: "Merge branch 'fix-tax-rate' into 'master'",
				date: "2019-02-01T09:23:43.000Z",
			},
		});
	});

	it("shows the service of a deploy whose alias matched", async () => {
		const alias = unique("catalog");
		const service = await createService(unique("Catalog"), [alias]);
		await deploy({ service: alias });
		const [listed] = (await listDeploys({ service: alias })).deploys;
		expect(listed.service).toEqual({ id: service.id, name: service.name });
	});

	it("lists newest deployed_at first, whatever the arrival order", async () => {
		const alias = unique("ordered");
		for (const at of ["2024-03-02T10:00:00Z", "2024-03-05T10:00:00Z", "2024-03-01T10:00:00Z", "2024-03-04T10:00:00Z"]) {
			await deploy({ service: alias, deployed_at: at });
		}
		const { deploys } = await listDeploys({ service: alias });
		expect(deploys.map((d) => d.deployed_at)).toEqual([
			"2024-03-05T10:00:00.000Z",
			"2024-03-04T10:00:00.000Z",
			"2024-03-02T10:00:00.000Z",
			"2024-03-01T10:00:00.000Z",
		]);
	});

	it("compares deployed_at as instants, not as the text sent", async () => {
		const alias = unique("offsets");
		await deploy({ service: alias, deployed_at: "2024-03-01T12:00:00+05:00", dedup_id: `earlier${alias}` });
		await deploy({ service: alias, deployed_at: "2024-03-01T10:00:00Z", dedup_id: `later${alias}` });
		const { deploys } = await listDeploys({ service: alias });
		expect(dedupIds(deploys)).toEqual([`later${alias}`, `earlier${alias}`]);
	});

	it("breaks deployed_at ties by arrival, the later arrival first", async () => {
		const alias = unique("ties");
		const sent = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
		for (const dedup_id of sent) await deploy({ service: alias, dedup_id, deployed_at: "2024-01-01T00:00:00Z" });
		const { deploys } = await listDeploys({ service: alias });
		expect(dedupIds(deploys)).toEqual([...sent].reverse());
	});

	it("lists a duplicate (same dedup_id) once", async () => {
		const alias = unique("dup");
		const dedup_id = crypto.randomUUID();
		await deploy({ service: alias, dedup_id });
		const again = await deploy({ service: alias, dedup_id });
		expect(again.result).toBe("duplicate_deploy");
		expect((await listDeploys({ service: alias })).deploys).toHaveLength(1);
	});
});

describe("GET /api/deploys?service=", () => {
	it("takes a service id", async () => {
		const alias = unique("by-id");
		const service = await createService(unique("ById"), [alias]);
		await deploy({ service: alias });
		await deploy({ service: unique("elsewhere") });
		const { deploys } = await listDeploys({ service: service.id });
		expect(deploys).toHaveLength(1);
		expect(deploys[0].service).toEqual({ id: service.id, name: service.name });
	});

	it("takes an alias, selecting the service's deploys under all its aliases", async () => {
		const [a, b] = [unique("alias-a"), unique("alias-b")];
		const service = await createService(unique("Both"), [a, b]);
		await deploy({ service: a });
		await deploy({ service: b });
		for (const value of [a, b, service.id]) {
			const { deploys } = await listDeploys({ service: value });
			expect(deploys.map((d) => d.service_alias).sort()).toEqual([a, b].sort());
		}
	});

	it("takes an alias in another case", async () => {
		const alias = unique("cased");
		await createService(unique("Cased"), [alias]);
		await deploy({ service: alias });
		expect((await listDeploys({ service: alias.toUpperCase() })).deploys).toHaveLength(1);
	});

	it("includes deploys linked after they arrived", async () => {
		const [early, main] = [unique("early"), unique("main")];
		await deploy({ service: early });
		const service = await createService(unique("Linked"), [main]);
		await deploy({ service: main });
		await admin("POST", `/services/${service.id}/aliases`, { alias: early });
		const { deploys } = await listDeploys({ service: main });
		expect(deploys.map((d) => d.service_alias).sort()).toEqual([early, main].sort());
	});

	it("takes an unclaimed alias", async () => {
		const alias = unique("unclaimed");
		await deploy({ service: alias });
		await deploy({ service: alias });
		await deploy({ service: unique("unclaimed-other") });
		const { deploys } = await listDeploys({ service: alias });
		expect(deploys.map((d) => d.service_alias)).toEqual([alias, alias]);
	});

	it("answers an empty page for a value nothing was deployed under", async () => {
		expect(await listDeploys({ service: unique("nothing") })).toEqual({ deploys: [], next_cursor: null });
	});
});

describe("GET /api/deploys?environment=", () => {
	it("selects exactly that environment", async () => {
		const alias = unique("envs");
		const production = unique("Production");
		await deploy({ service: alias, environment: production });
		await deploy({ service: alias, environment: `${production}-eu` });
		await deploy({ service: alias, environment: "Staging" });
		const { deploys } = await listDeploys({ environment: production });
		expect(deploys.map((d) => d.environment)).toEqual([production]);
	});

	it("combines with service=", async () => {
		const [a, b] = [unique("env-a"), unique("env-b")];
		const environment = unique("qa");
		await deploy({ service: a, environment });
		await deploy({ service: b, environment });
		await deploy({ service: a, environment: "Production" });
		const { deploys } = await listDeploys({ service: a, environment });
		expect(deploys.map((d) => [d.service_alias, d.environment])).toEqual([[a, environment]]);
	});
});

describe("pagination", () => {
	/** Five deploys under a fresh alias, one day apart; dedup_ids newest first. */
	async function fiveDeploys(alias: string) {
		const sent: string[] = [];
		for (let day = 1; day <= 5; day++) {
			const dedup_id = crypto.randomUUID();
			sent.push(dedup_id);
			await deploy({ service: alias, dedup_id, deployed_at: `2024-05-0${day}T12:00:00Z` });
		}
		return sent.reverse();
	}

	it("chains pages through next_cursor with no duplicates or gaps", async () => {
		const alias = unique("paged");
		const newestFirst = await fiveDeploys(alias);
		const pages = await allPages({ service: alias, limit: 2 });
		expect(pages.map((p) => dedupIds(p.deploys))).toEqual([
			newestFirst.slice(0, 2),
			newestFirst.slice(2, 4),
			newestFirst.slice(4),
		]);
		expect(pages.map((p) => p.next_cursor === null)).toEqual([false, false, true]);
	});

	it("answers next_cursor null when the page holds the last deploy exactly", async () => {
		const alias = unique("exact");
		await fiveDeploys(alias);
		const page = await listDeploys({ service: alias, limit: 5 });
		expect(page.deploys).toHaveLength(5);
		expect(page.next_cursor).toBeNull();
	});

	it("keeps next_cursor as a string while more deploys follow", async () => {
		const alias = unique("more");
		await fiveDeploys(alias);
		expect((await listDeploys({ service: alias, limit: 4 })).next_cursor).toEqual(expect.any(String));
	});

	it("pages through deployed_at ties without duplicates or gaps", async () => {
		const alias = unique("tied-pages");
		const sent: string[] = [];
		for (let i = 0; i < 5; i++) {
			const dedup_id = crypto.randomUUID();
			sent.push(dedup_id);
			await deploy({ service: alias, dedup_id, deployed_at: "2024-06-01T00:00:00Z" });
		}
		const pages = await allPages({ service: alias, limit: 2 });
		expect(pages.flatMap((p) => dedupIds(p.deploys))).toEqual(sent.reverse());
	});

	it("keeps later pages stable when newer deploys arrive between fetches", async () => {
		const alias = unique("stable");
		const newestFirst = await fiveDeploys(alias);
		const first = await listDeploys({ service: alias, limit: 2 });
		expect(dedupIds(first.deploys)).toEqual(newestFirst.slice(0, 2));

		// One newer outright, one tied with the last deploy page one showed (a later arrival, so newer still).
		await deploy({ service: alias, deployed_at: "2024-05-09T12:00:00Z" });
		await deploy({ service: alias, deployed_at: "2024-05-04T12:00:00Z" });

		const rest = await allPages({ service: alias, limit: 2, cursor: first.next_cursor ?? "" });
		expect(rest.flatMap((p) => dedupIds(p.deploys))).toEqual(newestFirst.slice(2));
	});

	it("works with the environment filter", async () => {
		const alias = unique("env-paged");
		const environment = unique("Staging");
		const sent: string[] = [];
		for (let day = 1; day <= 3; day++) {
			const dedup_id = crypto.randomUUID();
			sent.push(dedup_id);
			await deploy({ service: alias, dedup_id, environment, deployed_at: `2024-07-0${day}T00:00:00Z` });
			await deploy({ service: alias, environment: "Production", deployed_at: `2024-07-0${day}T00:00:00Z` });
		}
		const pages = await allPages({ service: alias, environment, limit: 1 });
		expect(pages.flatMap((p) => dedupIds(p.deploys))).toEqual(sent.reverse());
	});

	it.each(["0", "201", "abc", "-1", "1.5"])("answers 400 Limit Error for limit=%s", async (limit) => {
		expectError(await admin("GET", `/deploys?limit=${limit}`), 400, "Limit Error");
	});

	it("accepts limit=200", async () => {
		expect((await admin("GET", "/deploys?limit=200")).status).toBe(200);
	});

	it.each([
		["not base64", "!!!"],
		["base64 of non-JSON", btoa("not json")],
		["base64 JSON of the wrong shape", btoa(JSON.stringify({ deployedAt: 1 }))],
	])("answers 400 Cursor Error for a malformed cursor (%s)", async (_, cursor) => {
		expectError(await admin("GET", `/deploys?cursor=${encodeURIComponent(cursor)}`), 400, "Cursor Error");
	});
});

describe("deploy numbers", () => {
	it('numbers a service\'s deploys without deploy_number "1", "2", "3"', async () => {
		const alias = unique("numbered");
		await createService(unique("Numbered"), [alias]);
		for (const day of [1, 2, 3]) {
			await deploy({ service: alias, deploy_number: undefined, deployed_at: `2024-01-0${day}T00:00:00Z` });
		}
		const { deploys } = await listDeploys({ service: alias });
		expect(numbers(deploys)).toEqual(["3", "2", "1"]);
	});

	it("keeps a supplied deploy_number and continues after it", async () => {
		const alias = unique("supplied");
		await createService(unique("Supplied"), [alias]);
		await deploy({ service: alias, deploy_number: "234", deployed_at: "2024-01-01T00:00:00Z" });
		await deploy({ service: alias, deploy_number: undefined, deployed_at: "2024-01-02T00:00:00Z" });
		expect(numbers((await listDeploys({ service: alias })).deploys)).toEqual(["235", "234"]);
	});

	it("jumps ahead to a supplied deploy_number above the generated ones", async () => {
		const alias = unique("jump");
		await createService(unique("Jump"), [alias]);
		await deploy({ service: alias, deploy_number: undefined, deployed_at: "2024-01-01T00:00:00Z" });
		await deploy({ service: alias, deploy_number: "234", deployed_at: "2024-01-02T00:00:00Z" });
		await deploy({ service: alias, deploy_number: undefined, deployed_at: "2024-01-03T00:00:00Z" });
		expect(numbers((await listDeploys({ service: alias })).deploys)).toEqual(["235", "234", "1"]);
	});

	it("continues after a supplied numeric deploy_number", async () => {
		const alias = unique("numeric");
		await deploy({ service: alias, deploy_number: 41, deployed_at: "2024-01-01T00:00:00Z" });
		await deploy({ service: alias, deploy_number: undefined, deployed_at: "2024-01-02T00:00:00Z" });
		expect(numbers((await listDeploys({ service: alias })).deploys)).toEqual(["42", "41"]);
	});

	it("runs per service, across the service's aliases", async () => {
		const [a, b] = [unique("num-a"), unique("num-b")];
		await createService(unique("PerService"), [a, b]);
		await deploy({ service: a, deploy_number: undefined, deployed_at: "2024-01-01T00:00:00Z" });
		await deploy({ service: b, deploy_number: undefined, deployed_at: "2024-01-02T00:00:00Z" });
		await deploy({ service: a, deploy_number: undefined, deployed_at: "2024-01-03T00:00:00Z" });
		expect(numbers((await listDeploys({ service: a })).deploys)).toEqual(["3", "2", "1"]);
	});

	it("runs separately for separate services", async () => {
		const [a, b] = [unique("sep-a"), unique("sep-b")];
		await createService(unique("SepA"), [a]);
		await createService(unique("SepB"), [b]);
		await deploy({ service: a, deploy_number: undefined });
		await deploy({ service: a, deploy_number: undefined });
		await deploy({ service: b, deploy_number: undefined });
		expect(numbers((await listDeploys({ service: b })).deploys)).toEqual(["1"]);
	});

	it("runs per alias while the alias is unmatched", async () => {
		const [a, b] = [unique("loose-a"), unique("loose-b")];
		await deploy({ service: a, deploy_number: undefined, deployed_at: "2024-01-01T00:00:00Z" });
		await deploy({ service: a.toUpperCase(), deploy_number: undefined, deployed_at: "2024-01-02T00:00:00Z" });
		await deploy({ service: b, deploy_number: undefined, deployed_at: "2024-01-03T00:00:00Z" });
		expect(numbers((await listDeploys({ service: a })).deploys)).toEqual(["2", "1"]);
		expect(numbers((await listDeploys({ service: b })).deploys)).toEqual(["1"]);
	});
});

describe("deployer", () => {
	it("associates deploys by e-mail, whatever its case", async () => {
		const alias = unique("people");
		const local = unique("michael");
		await deploy({ service: alias, deployer: { email: `${local.toUpperCase()}@Example.com`, name: "Michael" } });
		await deploy({ service: alias, deployer: { email: `${local}@example.com`, name: "Michael Scott" } });
		const [a, b] = (await listDeploys({ service: alias })).deploys;
		expect(a.deployer.person_id).toEqual(expect.any(String));
		expect(b.deployer.person_id).toBe(a.deployer.person_id);
	});

	it("keeps the e-mail as it was sent on each deploy", async () => {
		const alias = unique("sent-email");
		const email = `${unique("Dwight")}@Example.com`;
		await deploy({ service: alias, deployer: { email } });
		expect((await listDeploys({ service: alias })).deploys[0].deployer.email).toBe(email);
	});

	it("gives different e-mails different people", async () => {
		const alias = unique("two-people");
		await deploy({ service: alias, deployer: { email: `${unique("jim")}@example.com` } });
		await deploy({ service: alias, deployer: { email: `${unique("pam")}@example.com` } });
		const [a, b] = (await listDeploys({ service: alias })).deploys;
		expect(a.deployer.person_id).toEqual(expect.any(String));
		expect(b.deployer.person_id).toEqual(expect.any(String));
		expect(a.deployer.person_id).not.toBe(b.deployer.person_id);
	});

	it("leaves person_id null for a deployer known only by name", async () => {
		const alias = unique("name-only");
		await deploy({ service: alias, deployer: { name: "Creed Bratton" } });
		const [listed] = (await listDeploys({ service: alias })).deploys;
		expect(listed.deployer).toMatchObject({ name: "Creed Bratton", email: null, person_id: null });
	});
});
