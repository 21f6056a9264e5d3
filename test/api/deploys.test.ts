import { afterEach, describe, expect, it, vi } from "vitest";
import {
	ADMIN,
	acceptedDeploy,
	admin,
	api,
	call,
	type DeploysPage,
	examplePayload,
	expectError,
	ISO_DATETIME,
	integrationBeforeAll,
	postDeploy,
	unique,
	utf8Body,
} from "../helpers";

const integration = integrationBeforeAll("deploys tests");

/** Sends a deploy through the webhook, insisting it was accepted. */
const deploy = (overrides: Record<string, unknown>) => acceptedDeploy(integration.webhook_url, overrides);

/** Every page of a listing, following next_cursor to the end. */
async function allPages(params: Record<string, string | number>) {
	const pages: DeploysPage[] = [];
	let cursor: string | null = null;
	do {
		const page = await api.listDeploys(cursor === null ? params : { ...params, cursor });
		pages.push(page);
		cursor = page.next_cursor;
	} while (cursor !== null && pages.length < 20);
	return pages;
}

const dedupIds = (deploys: { dedup_id: string }[]) => deploys.map((d) => d.dedup_id);
const numbers = (deploys: { deploy_number: string }[]) => deploys.map((d) => d.deploy_number);

describe("GET /api/deploys", () => {
	it("answers { deploys, next_cursor }", async () => {
		const body = await api.listDeploys({ limit: 1 });
		expect(body).toEqual({ deploys: expect.any(Array), next_cursor: expect.toBeOneOf([null, expect.any(String)]) });
	});

	it("presents a deploy as it was sent", async () => {
		const alias = unique("shopping_cart");
		const payload = examplePayload({ service: alias, deploy_url: "https://ci.example.com/builds/234" });
		await deploy(payload);
		const [listed] = (await api.listDeploys({ service: alias })).deploys;
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
		const service = await api.createService(unique("Catalog"), [alias]);
		await deploy({ service: alias });
		const [listed] = (await api.listDeploys({ service: alias })).deploys;
		expect(listed.service).toEqual({ id: service.id, name: service.name });
	});

	it("lists newest deployed_at first, whatever the arrival order", async () => {
		const alias = unique("ordered");
		for (const at of ["2024-03-02T10:00:00Z", "2024-03-05T10:00:00Z", "2024-03-01T10:00:00Z", "2024-03-04T10:00:00Z"]) {
			await deploy({ service: alias, deployed_at: at });
		}
		const { deploys } = await api.listDeploys({ service: alias });
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
		const { deploys } = await api.listDeploys({ service: alias });
		expect(dedupIds(deploys)).toEqual([`later${alias}`, `earlier${alias}`]);
	});

	it("breaks deployed_at ties by arrival, the later arrival first", async () => {
		const alias = unique("ties");
		const sent = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
		for (const dedup_id of sent) await deploy({ service: alias, dedup_id, deployed_at: "2024-01-01T00:00:00Z" });
		const { deploys } = await api.listDeploys({ service: alias });
		expect(dedupIds(deploys)).toEqual([...sent].reverse());
	});

	it("lists a duplicate (same dedup_id) once", async () => {
		const alias = unique("dup");
		const dedup_id = crypto.randomUUID();
		await deploy({ service: alias, dedup_id });
		const again = await deploy({ service: alias, dedup_id });
		expect(again.result).toBe("duplicate_deploy");
		expect((await api.listDeploys({ service: alias })).deploys).toHaveLength(1);
	});
});

describe("GET /api/deploys?service=", () => {
	it("takes a service id", async () => {
		const alias = unique("by-id");
		const service = await api.createService(unique("ById"), [alias]);
		await deploy({ service: alias });
		await deploy({ service: unique("elsewhere") });
		const { deploys } = await api.listDeploys({ service: service.id });
		expect(deploys).toHaveLength(1);
		expect(deploys[0].service).toEqual({ id: service.id, name: service.name });
	});

	it("takes an alias, selecting the service's deploys under all its aliases", async () => {
		const [a, b] = [unique("alias-a"), unique("alias-b")];
		const service = await api.createService(unique("Both"), [a, b]);
		await deploy({ service: a });
		await deploy({ service: b });
		for (const value of [a, b, service.id]) {
			const { deploys } = await api.listDeploys({ service: value });
			expect(deploys.map((d) => d.service_alias).sort()).toEqual([a, b].sort());
		}
	});

	it("takes an alias in another case", async () => {
		const alias = unique("cased");
		await api.createService(unique("Cased"), [alias]);
		await deploy({ service: alias });
		expect((await api.listDeploys({ service: alias.toUpperCase() })).deploys).toHaveLength(1);
	});

	it("includes deploys linked after they arrived", async () => {
		const [early, main] = [unique("early"), unique("main")];
		await deploy({ service: early });
		const service = await api.createService(unique("Linked"), [main]);
		await deploy({ service: main });
		await admin("POST", `/services/${service.id}/aliases`, { alias: early });
		const { deploys } = await api.listDeploys({ service: main });
		expect(deploys.map((d) => d.service_alias).sort()).toEqual([early, main].sort());
	});

	it("takes an unclaimed alias", async () => {
		const alias = unique("unclaimed");
		await deploy({ service: alias });
		await deploy({ service: alias });
		await deploy({ service: unique("unclaimed-other") });
		const { deploys } = await api.listDeploys({ service: alias });
		expect(deploys.map((d) => d.service_alias)).toEqual([alias, alias]);
	});

	it("answers an empty page for a value nothing was deployed under", async () => {
		expect(await api.listDeploys({ service: unique("nothing") })).toEqual({ deploys: [], next_cursor: null });
	});
});

describe("GET /api/deploys?environment=", () => {
	it("selects exactly that environment", async () => {
		const alias = unique("envs");
		const production = unique("Production");
		await deploy({ service: alias, environment: production });
		await deploy({ service: alias, environment: `${production}-eu` });
		await deploy({ service: alias, environment: "Staging" });
		const { deploys } = await api.listDeploys({ environment: production });
		expect(deploys.map((d) => d.environment)).toEqual([production]);
	});

	it("matches the environment in any letter case and spacing, and lists each deploy as it was spelled", async () => {
		const alias = unique("env-case");
		const staging = unique("Staging");
		await deploy({ service: alias, environment: staging });
		await deploy({ service: alias, environment: staging.toUpperCase() });
		await deploy({ service: alias, environment: `${staging}-eu` });
		for (const asked of [staging.toLowerCase(), ` ${staging.toUpperCase()} `]) {
			const { deploys } = await api.listDeploys({ environment: asked });
			expect(
				deploys.map((d) => d.environment),
				asked,
			).toEqual([staging.toUpperCase(), staging]);
		}
		const query = new URLSearchParams({ format: "ndjson", environment: staging.toLowerCase() });
		const exported = await utf8Body(await call(`/api/deploys/export?${query}`, { headers: ADMIN }));
		const lines = exported
			.trim()
			.split("\n")
			.map((line) => JSON.parse(line).environment);
		expect(lines).toEqual([staging.toUpperCase(), staging]);
	});

	it("combines with service=", async () => {
		const [a, b] = [unique("env-a"), unique("env-b")];
		const environment = unique("qa");
		await deploy({ service: a, environment });
		await deploy({ service: b, environment });
		await deploy({ service: a, environment: "Production" });
		const { deploys } = await api.listDeploys({ service: a, environment });
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
		const page = await api.listDeploys({ service: alias, limit: 5 });
		expect(page.deploys).toHaveLength(5);
		expect(page.next_cursor).toBeNull();
	});

	it("keeps next_cursor as a string while more deploys follow", async () => {
		const alias = unique("more");
		await fiveDeploys(alias);
		expect((await api.listDeploys({ service: alias, limit: 4 })).next_cursor).toEqual(expect.any(String));
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
		const first = await api.listDeploys({ service: alias, limit: 2 });
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
		await api.createService(unique("Numbered"), [alias]);
		for (const day of [1, 2, 3]) {
			await deploy({ service: alias, deploy_number: undefined, deployed_at: `2024-01-0${day}T00:00:00Z` });
		}
		const { deploys } = await api.listDeploys({ service: alias });
		expect(numbers(deploys)).toEqual(["3", "2", "1"]);
	});

	it("keeps a supplied deploy_number and continues after it", async () => {
		const alias = unique("supplied");
		await api.createService(unique("Supplied"), [alias]);
		await deploy({ service: alias, deploy_number: "234", deployed_at: "2024-01-01T00:00:00Z" });
		await deploy({ service: alias, deploy_number: undefined, deployed_at: "2024-01-02T00:00:00Z" });
		expect(numbers((await api.listDeploys({ service: alias })).deploys)).toEqual(["235", "234"]);
	});

	it("jumps ahead to a supplied deploy_number above the generated ones", async () => {
		const alias = unique("jump");
		await api.createService(unique("Jump"), [alias]);
		await deploy({ service: alias, deploy_number: undefined, deployed_at: "2024-01-01T00:00:00Z" });
		await deploy({ service: alias, deploy_number: "234", deployed_at: "2024-01-02T00:00:00Z" });
		await deploy({ service: alias, deploy_number: undefined, deployed_at: "2024-01-03T00:00:00Z" });
		expect(numbers((await api.listDeploys({ service: alias })).deploys)).toEqual(["235", "234", "1"]);
	});

	it("continues after a supplied numeric deploy_number", async () => {
		const alias = unique("numeric");
		await deploy({ service: alias, deploy_number: 41, deployed_at: "2024-01-01T00:00:00Z" });
		await deploy({ service: alias, deploy_number: undefined, deployed_at: "2024-01-02T00:00:00Z" });
		expect(numbers((await api.listDeploys({ service: alias })).deploys)).toEqual(["42", "41"]);
	});

	it("runs per service, across the service's aliases", async () => {
		const [a, b] = [unique("num-a"), unique("num-b")];
		await api.createService(unique("PerService"), [a, b]);
		await deploy({ service: a, deploy_number: undefined, deployed_at: "2024-01-01T00:00:00Z" });
		await deploy({ service: b, deploy_number: undefined, deployed_at: "2024-01-02T00:00:00Z" });
		await deploy({ service: a, deploy_number: undefined, deployed_at: "2024-01-03T00:00:00Z" });
		expect(numbers((await api.listDeploys({ service: a })).deploys)).toEqual(["3", "2", "1"]);
	});

	it("runs separately for separate services", async () => {
		const [a, b] = [unique("sep-a"), unique("sep-b")];
		await api.createService(unique("SepA"), [a]);
		await api.createService(unique("SepB"), [b]);
		await deploy({ service: a, deploy_number: undefined });
		await deploy({ service: a, deploy_number: undefined });
		await deploy({ service: b, deploy_number: undefined });
		expect(numbers((await api.listDeploys({ service: b })).deploys)).toEqual(["1"]);
	});

	it("runs per alias while the alias is unmatched", async () => {
		const [a, b] = [unique("loose-a"), unique("loose-b")];
		await deploy({ service: a, deploy_number: undefined, deployed_at: "2024-01-01T00:00:00Z" });
		await deploy({ service: a.toUpperCase(), deploy_number: undefined, deployed_at: "2024-01-02T00:00:00Z" });
		await deploy({ service: b, deploy_number: undefined, deployed_at: "2024-01-03T00:00:00Z" });
		expect(numbers((await api.listDeploys({ service: a })).deploys)).toEqual(["2", "1"]);
		expect(numbers((await api.listDeploys({ service: b })).deploys)).toEqual(["1"]);
	});
});

describe("deployer", () => {
	it("associates deploys by e-mail, whatever its case", async () => {
		const alias = unique("people");
		const local = unique("michael");
		await deploy({ service: alias, deployer: { email: `${local.toUpperCase()}@Example.com`, name: "Michael" } });
		await deploy({ service: alias, deployer: { email: `${local}@example.com`, name: "Michael Scott" } });
		const [a, b] = (await api.listDeploys({ service: alias })).deploys;
		expect(a.deployer.person_id).toEqual(expect.any(String));
		expect(b.deployer.person_id).toBe(a.deployer.person_id);
	});

	it("keeps the e-mail as it was sent on each deploy", async () => {
		const alias = unique("sent-email");
		const email = `${unique("Dwight")}@Example.com`;
		await deploy({ service: alias, deployer: { email } });
		expect((await api.listDeploys({ service: alias })).deploys[0].deployer.email).toBe(email);
	});

	it("gives different e-mails different people", async () => {
		const alias = unique("two-people");
		await deploy({ service: alias, deployer: { email: `${unique("jim")}@example.com` } });
		await deploy({ service: alias, deployer: { email: `${unique("pam")}@example.com` } });
		const [a, b] = (await api.listDeploys({ service: alias })).deploys;
		expect(a.deployer.person_id).toEqual(expect.any(String));
		expect(b.deployer.person_id).toEqual(expect.any(String));
		expect(a.deployer.person_id).not.toBe(b.deployer.person_id);
	});

	it("leaves person_id null for a deployer known only by name", async () => {
		const alias = unique("name-only");
		await deploy({ service: alias, deployer: { name: "Creed Bratton" } });
		const [listed] = (await api.listDeploys({ service: alias })).deploys;
		expect(listed.deployer).toMatchObject({ name: "Creed Bratton", email: null, person_id: null });
	});
});

/** `n` random hex digits, for commit shas no other test uses. */
const hex = (n: number) =>
	Array.from(crypto.getRandomValues(new Uint8Array(Math.ceil(n / 2))), (b) => b.toString(16).padStart(2, "0"))
		.join("")
		.slice(0, n);

/** A fresh e-mail address. */
const email = (name: string) => `${unique(name)}@example.com`;

/** Sends a deploy with a fresh dedup_id, answering that dedup_id. */
async function deployed(overrides: Record<string, unknown>): Promise<string> {
	return (await deploy(overrides)).dedupId;
}

/** The dedup_ids of every deploy matching `params`, following next_cursor to the end, newest first. */
async function matching(params: Record<string, string | number>): Promise<string[]> {
	return (await allPages({ limit: 200, ...params })).flatMap((p) => dedupIds(p.deploys));
}

describe("GET /api/deploys?deployer=", () => {
	it("selects the deploys of the person with that e-mail, whatever its case", async () => {
		const alias = unique("by-deployer");
		const local = unique("Angela");
		const first = await deployed({
			service: alias,
			deployer: { email: `${local}@Example.com` },
			deployed_at: "2024-02-01T00:00:00Z",
		});
		const second = await deployed({
			service: unique("by-deployer-elsewhere"),
			deployer: { email: `${local.toLowerCase()}@example.com`, name: "Angela Martin" },
			deployed_at: "2024-02-02T00:00:00Z",
		});
		await deployed({ service: alias, deployer: { email: email("oscar") } });
		for (const value of [
			`${local}@Example.com`,
			`${local.toUpperCase()}@EXAMPLE.COM`,
			`${local.toLowerCase()}@example.com`,
		]) {
			expect(await matching({ deployer: value })).toEqual([second, first]);
		}
	});

	it("matches the deployer, not a commit's author or committer with that address", async () => {
		const address = email("kevin");
		const mine = await deployed({ service: unique("deployer-only"), deployer: { email: address } });
		await deployed({
			service: unique("deployer-only"),
			deployer: { email: email("toby") },
			commit: { sha: hex(40), author_email: address, committer_email: address },
		});
		expect(await matching({ deployer: address })).toEqual([mine]);
	});

	it("does not match a deployer known only by a name equal to the value", async () => {
		const name = email("creed");
		await deployed({ service: unique("name-only-deployer"), deployer: { name } });
		expect(await api.listDeploys({ deployer: name })).toEqual({ deploys: [], next_cursor: null });
	});

	it("answers an empty page for an address nobody deployed with", async () => {
		expect(await api.listDeploys({ deployer: email("nobody") })).toEqual({ deploys: [], next_cursor: null });
	});

	it("answers 400 Deployer Error for a value over 255 characters", async () => {
		expectError(await admin("GET", `/deploys?deployer=${"a".repeat(250)}%40example.com`), 400, "Deployer Error");
	});
});

describe("GET /api/deploys?integration=", () => {
	it("selects exactly that integration's deploys", async () => {
		const other = await api.createIntegration(unique("other"));
		const alias = unique("two-sources");
		await deployed({ service: alias });
		const sent: string[] = [];
		for (const day of [1, 2]) {
			const dedup_id = crypto.randomUUID();
			sent.push(dedup_id);
			const res = await postDeploy(
				other.webhook_url,
				examplePayload({ service: alias, dedup_id, deployed_at: `2024-04-0${day}T00:00:00Z` }),
			);
			expect(res.status).toBe(202);
		}
		const { deploys } = await api.listDeploys({ integration: other.id });
		expect(dedupIds(deploys)).toEqual(sent.reverse());
		expect(deploys.map((d) => d.integration_id)).toEqual(deploys.map(() => other.id));
		expect(await matching({ service: alias, integration: integration.id })).toHaveLength(1);
	});

	it("still selects a revoked integration's deploys", async () => {
		const other = await api.createIntegration(unique("revoked"));
		const dedup_id = crypto.randomUUID();
		await postDeploy(other.webhook_url, examplePayload({ service: unique("revoked-svc"), dedup_id }));
		expect((await admin("DELETE", `/integrations/${other.id}`)).status).toBe(204);
		expect(await matching({ integration: other.id })).toEqual([dedup_id]);
	});

	it("answers an empty page for an id no integration has", async () => {
		expect(await api.listDeploys({ integration: crypto.randomUUID() })).toEqual({ deploys: [], next_cursor: null });
	});

	it("answers 400 Integration Error for a value over 64 characters", async () => {
		expectError(await admin("GET", `/deploys?integration=${"a".repeat(65)}`), 400, "Integration Error");
	});
});

describe("GET /api/deploys?status=", () => {
	it("presents the normalized status beside what the pipeline sent", async () => {
		const alias = unique("normalized");
		await deployed({ service: alias, status: "Succeeded" });
		const [listed] = (await api.listDeploys({ service: alias })).deploys;
		expect(listed).toMatchObject({ status: "success", status_raw: "Succeeded" });
	});

	it("presents a deploy sent without a status as no_status", async () => {
		const alias = unique("statusless");
		await deployed({ service: alias });
		const [listed] = (await api.listDeploys({ service: alias })).deploys;
		expect(listed).toMatchObject({ status: "no_status", status_raw: null });
	});

	it("selects deploys by normalized status, whatever word the pipeline used", async () => {
		const alias = unique("statuses");
		const sent: Record<string, string[]> = {
			queued: [await deployed({ service: alias, status: "pending", deployed_at: "2024-01-01T00:00:00Z" })],
			running: [await deployed({ service: alias, status: "In Progress", deployed_at: "2024-01-02T00:00:00Z" })],
			success: [
				await deployed({ service: alias, status: "Succeeded", deployed_at: "2024-01-03T00:00:00Z" }),
				await deployed({ service: alias, status: "success", deployed_at: "2024-01-04T00:00:00Z" }),
			],
			failure: [await deployed({ service: alias, status: "FAILED", deployed_at: "2024-01-05T00:00:00Z" })],
			canceled: [await deployed({ service: alias, status: "cancelled", deployed_at: "2024-01-06T00:00:00Z" })],
			no_status: [
				await deployed({ service: alias, deployed_at: "2024-01-07T00:00:00Z" }),
				await deployed({ service: alias, status: "whatever", deployed_at: "2024-01-08T00:00:00Z" }),
			],
		};
		for (const [status, dedups] of Object.entries(sent)) {
			expect(await matching({ service: alias, status }), status).toEqual([...dedups].reverse());
		}
	});

	it("follows a deploy's status as later reports move it forward", async () => {
		const alias = unique("moving");
		const dedup_id = await deployed({ service: alias, status: "queued" });
		expect(await matching({ service: alias, status: "queued" })).toEqual([dedup_id]);
		await deploy({ service: alias, dedup_id, status: "running" });
		await deploy({ service: alias, dedup_id, status: "Succeeded" });
		expect(await matching({ service: alias, status: "success" })).toEqual([dedup_id]);
		expect(await matching({ service: alias, status: "queued" })).toEqual([]);
		expect(await matching({ service: alias, status: "running" })).toEqual([]);
	});

	it.each(["bogus", "Succeeded", "SUCCESS", "failed"])("answers 400 Status Error for status=%s", async (status) => {
		expectError(await admin("GET", `/deploys?status=${status}`), 400, "Status Error");
	});
});

describe("GET /api/deploys?sha=", () => {
	it("selects by full sha", async () => {
		const alias = unique("full-sha");
		const sha = hex(40);
		const mine = await deployed({ service: alias, commit: { sha } });
		await deployed({ service: alias, commit: { sha: `${sha.slice(0, 39)}${sha[39] === "0" ? "1" : "0"}` } });
		await deployed({ service: alias, commit: { message: "no sha" } });
		expect(await matching({ sha })).toEqual([mine]);
	});

	it("selects by a prefix of the sha", async () => {
		const alias = unique("sha-prefix");
		const prefix = hex(12);
		const a = await deployed({
			service: alias,
			commit: { sha: prefix + hex(28) },
			deployed_at: "2024-01-01T00:00:00Z",
		});
		const b = await deployed({
			service: alias,
			commit: { sha: prefix + hex(28) },
			deployed_at: "2024-01-02T00:00:00Z",
		});
		await deployed({ service: alias, commit: { sha: hex(40) } });
		expect(await matching({ sha: prefix })).toEqual([b, a]);
		expect(await matching({ sha: prefix.slice(0, 7), service: alias })).toEqual([b, a]);
	});

	it("does not match a value found elsewhere than the start of the sha", async () => {
		const alias = unique("sha-middle");
		const sha = hex(40);
		await deployed({ service: alias, commit: { sha } });
		expect(await matching({ sha: sha.slice(5, 20) })).toEqual([]);
		expect(await matching({ sha: `${sha}0` })).toEqual([]);
	});

	it("answers 400 Sha Error for a value over 64 characters", async () => {
		expectError(await admin("GET", `/deploys?sha=${"a".repeat(65)}`), 400, "Sha Error");
	});
});

describe("GET /api/deploys?from=&to=", () => {
	/** Deploys at the edges of [2024-03-10T00:00Z, 2024-03-11T00:00Z), dedup_ids by name. */
	async function edges(alias: string) {
		return {
			before: await deployed({ service: alias, deployed_at: "2024-03-09T23:59:59.999Z" }),
			atFrom: await deployed({ service: alias, deployed_at: "2024-03-10T00:00:00.000Z" }),
			inside: await deployed({ service: alias, deployed_at: "2024-03-10T12:00:00Z" }),
			lastInside: await deployed({ service: alias, deployed_at: "2024-03-10T23:59:59.999Z" }),
			atTo: await deployed({ service: alias, deployed_at: "2024-03-11T00:00:00.000Z" }),
		};
	}

	it("selects deployed_at in [from, to)", async () => {
		const alias = unique("range");
		const d = await edges(alias);
		expect(await matching({ service: alias, from: "2024-03-10T00:00:00Z", to: "2024-03-11T00:00:00Z" })).toEqual([
			d.lastInside,
			d.inside,
			d.atFrom,
		]);
	});

	it("takes from alone, inclusive", async () => {
		const alias = unique("from-only");
		const d = await edges(alias);
		expect(await matching({ service: alias, from: "2024-03-10T00:00:00Z" })).toEqual([
			d.atTo,
			d.lastInside,
			d.inside,
			d.atFrom,
		]);
	});

	it("takes to alone, exclusive", async () => {
		const alias = unique("to-only");
		const d = await edges(alias);
		expect(await matching({ service: alias, to: "2024-03-10T00:00:00Z" })).toEqual([d.before]);
	});

	it("reads the bounds as instants, offsets included", async () => {
		const alias = unique("range-offsets");
		const d = await edges(alias);
		expect(
			await matching({ service: alias, from: "2024-03-10T02:00:00+02:00", to: "2024-03-10 19:00:00 -0500" }),
		).toEqual([d.lastInside, d.inside, d.atFrom]);
	});

	it.each([
		["equal", "2024-03-10T00:00:00Z", "2024-03-10T00:00:00Z"],
		["later", "2024-03-11T00:00:00Z", "2024-03-10T00:00:00Z"],
		["later by offset", "2024-03-10T00:00:00Z", "2024-03-10T01:00:00+02:00"],
	])("answers 400 From Error when from is %s than to", async (_, from, to) => {
		const query = new URLSearchParams({ from, to });
		expectError(await admin("GET", `/deploys?${query}`), 400, "From Error");
	});

	it.each(["yesterday", "2024-02-30T00:00:00Z", "2024-03-10T25:00:00Z", "1710028800000"])(
		"answers 400 From Error / To Error for %s",
		async (value) => {
			expectError(await admin("GET", `/deploys?from=${encodeURIComponent(value)}`), 400, "From Error");
			expectError(await admin("GET", `/deploys?to=${encodeURIComponent(value)}`), 400, "To Error");
		},
	);
});

describe("GET /api/deploys?q=", () => {
	it("finds text in the description or the commit message, ignoring case", async () => {
		const alias = unique("search");
		const word = `Needle${hex(8)}`;
		const inDescription = await deployed({
			service: alias,
			description: `Deployed ${word.toUpperCase()} today`,
			deployed_at: "2024-01-01T00:00:00Z",
		});
		const inMessage = await deployed({
			service: alias,
			commit: { message: `fix: the ${word.toLowerCase()} bug\n\nlong body` },
			deployed_at: "2024-01-02T00:00:00Z",
		});
		await deployed({ service: alias, description: "unrelated", commit: { branch: word } });
		expect(await matching({ q: word })).toEqual([inMessage, inDescription]);
	});

	it("ignores case beyond ASCII too", async () => {
		const alias = unique("search-unicode");
		const hit = await deployed({ service: alias, description: "Überweisung: ÉCHEC du déploiement" });
		await deployed({ service: alias, description: "unrelated" });
		for (const q of ["überweisung", "échec", "DÉPLOIEMENT", "Überweisung"]) {
			expect(await matching({ service: alias, q }), q).toEqual([hit]);
		}
	});

	it("finds a deploy with no commit by its description", async () => {
		const word = `lonely${hex(8)}`;
		const mine = await deployed({ service: unique("no-commit"), description: `a ${word}`, commit: undefined });
		expect(await matching({ q: word })).toEqual([mine]);
	});

	it("matches % literally", async () => {
		const alias = unique("percent");
		const hit = await deployed({ service: alias, description: "rolled out to 100% of hosts" });
		await deployed({ service: alias, description: "rolled out to 1000 hosts" });
		expect(await matching({ service: alias, q: "0% of" })).toEqual([hit]);
		expect(await matching({ service: alias, q: "%" })).toEqual([hit]);
	});

	it("matches _ literally", async () => {
		const alias = unique("underscore");
		const hit = await deployed({ service: alias, description: "enabled feature_flag" });
		await deployed({ service: alias, description: "enabled featureXflag" });
		expect(await matching({ service: alias, q: "feature_flag" })).toEqual([hit]);
		expect(await matching({ service: alias, q: "_" })).toEqual([hit]);
	});

	it("matches a backslash literally", async () => {
		const alias = unique("backslash");
		const hit = await deployed({ service: alias, description: "path C:\\deploy\\%x" });
		await deployed({ service: alias, description: "path C:deploy%x" });
		expect(await matching({ service: alias, q: "C:\\deploy\\%" })).toEqual([hit]);
	});

	it("answers 400 Q Error for a value over 255 characters", async () => {
		expectError(await admin("GET", `/deploys?q=${"a".repeat(256)}`), 400, "Q Error");
	});
});

describe("combined filters", () => {
	it("selects only the deploys matching every filter", async () => {
		const alias = unique("combined");
		const other = await api.createIntegration(unique("combined-other"));
		const deployer = email("erin");
		const word = `combo${hex(8)}`;
		const sha = hex(40);
		const base = {
			service: alias,
			environment: "Production",
			deployer: { email: deployer },
			status: "success",
			commit: { sha, message: `ship ${word}` },
			deployed_at: "2024-08-15T12:00:00Z",
		};
		const hit = await deployed(base);
		// Each of these misses exactly one filter.
		await deployed({ ...base, service: unique("combined-elsewhere") });
		await deployed({ ...base, environment: "Staging" });
		await deployed({ ...base, deployer: { email: email("gabe") } });
		await deployed({ ...base, status: "failed" });
		await deployed({ ...base, commit: { sha: hex(40), message: `ship ${word}` } });
		await deployed({ ...base, commit: { sha, message: "ship something else" } });
		await deployed({ ...base, deployed_at: "2024-08-16T00:00:00Z" });
		await deployed({ ...base, deployed_at: "2024-08-14T23:59:59Z" });
		await postDeploy(other.webhook_url, examplePayload(base));

		const all = {
			service: alias,
			environment: "Production",
			deployer: deployer.toUpperCase(),
			integration: integration.id,
			status: "success",
			sha: sha.slice(0, 10),
			from: "2024-08-15T00:00:00Z",
			to: "2024-08-16T00:00:00Z",
			q: word.toUpperCase(),
		};
		expect(await matching(all)).toEqual([hit]);
		// Dropping any one filter lets exactly the deploy that misses it through as well.
		for (const key of Object.keys(all)) {
			const rest: Record<string, string> = { ...all };
			delete rest[key];
			expect(await matching(rest), `without ${key}`).toHaveLength(2);
		}
	});

	it("lists every invalid parameter at once", async () => {
		const res = await admin("GET", "/deploys?status=bogus&from=nope&to=never&limit=0");
		expectError(res, 400);
		expect(res.body.errors.map((e: { title: string }) => e.title).sort()).toEqual(
			["From Error", "Limit Error", "Status Error", "To Error"].sort(),
		);
	});
});

describe("pagination with filters", () => {
	it("chains pages of a status filter, skipping deploys that do not match, with no gaps or duplicates", async () => {
		const alias = unique("paged-status");
		const wanted: string[] = [];
		for (let day = 1; day <= 7; day++) {
			wanted.push(await deployed({ service: alias, status: "success", deployed_at: `2024-09-0${day}T00:00:00Z` }));
			await deployed({ service: alias, status: "failure", deployed_at: `2024-09-0${day}T00:00:00Z` });
		}
		const pages = await allPages({ service: alias, status: "success", limit: 3 });
		expect(pages.map((p) => p.deploys.length)).toEqual([3, 3, 1]);
		expect(pages.flatMap((p) => dedupIds(p.deploys))).toEqual(wanted.reverse());
		expect(pages.at(-1)?.next_cursor).toBeNull();
	});

	it("chains pages of a deployer, time range and text search, ties included", async () => {
		const alias = unique("paged-mixed");
		const deployer = email("holly");
		const word = `paged${hex(8)}`;
		const wanted: string[] = [];
		for (const at of ["2024-10-01T00:00:00Z", "2024-10-02T00:00:00Z", "2024-10-02T00:00:00Z", "2024-10-03T00:00:00Z"]) {
			for (const d of [
				{ deployer: { email: deployer }, description: `with ${word}` },
				{ deployer: { email: email("jan") }, description: `with ${word}` },
				{ deployer: { email: deployer }, description: "without" },
			]) {
				const dedup_id = await deployed({ service: alias, deployed_at: at, ...d });
				if (d.deployer.email === deployer && d.description !== "without") wanted.push(dedup_id);
			}
		}
		await deployed({
			service: alias,
			deployed_at: "2024-10-04T00:00:00Z",
			deployer: { email: deployer },
			description: word,
		});
		const params = { deployer, q: word, from: "2024-10-01T00:00:00Z", to: "2024-10-04T00:00:00Z" };
		const pages = await allPages({ ...params, limit: 1 });
		expect(pages).toHaveLength(4);
		expect(pages.flatMap((p) => dedupIds(p.deploys))).toEqual(wanted.reverse());
	});

	it("answers 400 Cursor Error for a cursor that is not a sort key, whatever the filters", async () => {
		const cursor = btoa(JSON.stringify(["x", 1]));
		expectError(
			await admin("GET", `/deploys?status=success&cursor=${encodeURIComponent(cursor)}`),
			400,
			"Cursor Error",
		);
	});
});

describe("GET /api/deploys/:id", () => {
	afterEach(() => {
		vi.useRealTimers();
	});

	/** The one deploy listed under `alias`. */
	async function only(alias: string) {
		const { deploys } = await api.listDeploys({ service: alias });
		expect(deploys).toHaveLength(1);
		return deploys[0];
	}

	it("answers the deploy as lists show it, plus its status history", async () => {
		const alias = unique("detail");
		await api.createService(unique("Detail"), [alias]);
		await deployed({ service: alias, status: "Succeeded", deploy_url: "https://ci.example.com/1" });
		const listed = await only(alias);
		const res = await admin("GET", `/deploys/${listed.id}`);
		expect(res.status).toBe(200);
		expect(res.body).toEqual({
			...listed,
			status_history: [{ status: "success", raw: "Succeeded", at: listed.received_at }],
		});
	});

	it("builds the history from repeated reports under one dedup_id, oldest first", async () => {
		const t0 = Date.now();
		const at = (ms: number) => new Date(t0 + ms).toISOString();
		vi.useFakeTimers({ toFake: ["Date"], now: t0 });
		const alias = unique("history");
		const dedup_id = await deployed({ service: alias, status: "Queued" });
		vi.setSystemTime(t0 + 1_500);
		await deploy({ service: alias, dedup_id, status: "running" });
		vi.setSystemTime(t0 + 4_000);
		await deploy({ service: alias, dedup_id, status: "Succeeded" });
		const listed = await only(alias);
		const { status, body } = await admin("GET", `/deploys/${listed.id}`);
		expect(status).toBe(200);
		expect(body).toMatchObject({
			id: listed.id,
			dedup_id,
			status: "success",
			status_raw: "Succeeded",
			received_at: at(0),
		});
		expect(body.status_history).toEqual([
			{ status: "queued", raw: "Queued", at: at(0) },
			{ status: "running", raw: "running", at: at(1_500) },
			{ status: "success", raw: "Succeeded", at: at(4_000) },
		]);
	});

	it("builds the history in real time, its times never going back", async () => {
		const alias = unique("history-real");
		const dedup_id = await deployed({ service: alias, status: "pending" });
		await deploy({ service: alias, dedup_id, status: "in_progress" });
		await deploy({ service: alias, dedup_id, status: "Succeeded" });
		const listed = await only(alias);
		const { body } = await admin("GET", `/deploys/${listed.id}`);
		expect(body.status_history.map((h: { raw: string }) => h.raw)).toEqual(["pending", "in_progress", "Succeeded"]);
		expect(body.status_history[0].at).toBe(listed.received_at);
		const times = body.status_history.map((h: { at: string }) => {
			expect(h.at).toMatch(ISO_DATETIME);
			return Date.parse(h.at);
		});
		expect(times).toEqual([...times].sort((a, b) => a - b));
	});

	it("keeps the history in report order when reports arrive within one millisecond", async () => {
		// Workers' clock stands still between I/O, so two reports can share a timestamp.
		vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
		const alias = unique("same-ms");
		const dedup_id = await deployed({ service: alias, status: "running" });
		await deploy({ service: alias, dedup_id, status: "failed" });
		const listed = await only(alias);
		const { body } = await admin("GET", `/deploys/${listed.id}`);
		expect(body.status).toBe("failure");
		expect(body.status_history.map((h: { status: string }) => h.status)).toEqual(["running", "failure"]);
	});

	it("records no step backwards or sideways", async () => {
		const alias = unique("no-going-back");
		const dedup_id = await deployed({ service: alias, status: "success" });
		await deploy({ service: alias, dedup_id, status: "running" });
		await deploy({ service: alias, dedup_id, status: "failed" });
		const listed = await only(alias);
		expect(listed).toMatchObject({ status: "success", status_raw: "success" });
		const { body } = await admin("GET", `/deploys/${listed.id}`);
		expect(body.status_history).toEqual([{ status: "success", raw: "success", at: listed.received_at }]);
	});

	it("answers an empty history for a deploy never given a status", async () => {
		const alias = unique("no-history");
		await deployed({ service: alias });
		const listed = await only(alias);
		const { body } = await admin("GET", `/deploys/${listed.id}`);
		expect(body).toEqual({ ...listed, status_history: [] });
	});

	it.each([
		["an unknown UUID", crypto.randomUUID()],
		["a malformed id", "not-a-deploy"],
	])("answers 404 Deploy Error for %s", async (_, id) => {
		expectError(await admin("GET", `/deploys/${id}`), 404, "Deploy Error");
	});

	it("requires the admin token", async () => {
		const alias = unique("detail-auth");
		await deployed({ service: alias });
		const listed = await only(alias);
		expect((await call(`/api/deploys/${listed.id}`)).status).toBe(401);
	});
});
