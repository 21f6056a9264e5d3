import { describe, expect, it } from "vitest";
import {
	acceptedDeploy,
	admin,
	api,
	call,
	expectError,
	ISO_DATETIME,
	integrationBeforeAll,
	parseResponse,
	unique,
} from "../helpers";

const integration = integrationBeforeAll("people tests");

type Person = { id: string; email: string; name: string | null; deploy_count: number; last_deploy_at: string | null };

/** Sends a deploy through the webhook, insisting it was accepted; answers the webhook's result. */
async function deploy(overrides: Record<string, unknown>, webhookUrl = integration.webhook_url): Promise<string> {
	return (await acceptedDeploy(webhookUrl, { service: unique("svc"), ...overrides })).result;
}

/** GET /api/people, insisting on a 200. */
async function listedPeople(): Promise<Person[]> {
	const res = await admin("GET", "/people");
	expect(res.status).toBe(200);
	expect(res.body).toEqual({ people: expect.any(Array) });
	return res.body.people;
}

/** The people listed with these e-mail addresses (lower-cased), in the order listed. */
async function peopleWith(...emails: string[]): Promise<Person[]> {
	const wanted = new Set(emails.map((e) => e.toLowerCase()));
	return (await listedPeople()).filter((p) => wanted.has(p.email.toLowerCase()));
}

/** A fresh address with a local part in mixed case. */
const address = (name: string) => `${unique(name)}@example.com`;

describe("GET /api/people", () => {
	it("lists a deployer as { id, email, name, deploy_count, last_deploy_at }", async () => {
		const email = address("phyllis");
		await deploy({ deployer: { email, name: "Phyllis Vance" }, deployed_at: "2024-01-05T10:00:00Z" });
		const listed = await peopleWith(email);
		expect(listed).toEqual([
			{
				id: expect.any(String),
				email,
				name: "Phyllis Vance",
				deploy_count: 1,
				last_deploy_at: "2024-01-05T10:00:00.000Z",
			},
		]);
		expect(listed[0]?.last_deploy_at).toMatch(ISO_DATETIME);
	});

	it("gives the person the id deploys carry as deployer.person_id", async () => {
		const email = address("stanley");
		const alias = unique("person-id");
		await deploy({ service: alias, deployer: { email } });
		const [person] = await peopleWith(email);
		const { body } = await admin("GET", `/deploys?service=${alias}`);
		expect(body.deploys[0].deployer.person_id).toBe(person?.id);
	});

	it("lists one person per e-mail whatever its case, under the lower-cased address", async () => {
		const local = unique("Meredith");
		const spellings = [
			`${local.toUpperCase()}@EXAMPLE.COM`,
			`${local}@Example.com`,
			`${local.toLowerCase()}@example.com`,
		];
		for (const email of spellings) await deploy({ deployer: { email, name: "Meredith Palmer" } });
		const listed = await peopleWith(spellings[0] as string);
		expect(listed).toHaveLength(1);
		expect(listed[0]).toMatchObject({ email: `${local.toLowerCase()}@example.com`, deploy_count: 3 });
	});

	it("creates one person when deploys in different spellings arrive at once", async () => {
		const local = unique("Ryan");
		const other = await api.createIntegration(unique("other"));
		await Promise.all(
			Array.from({ length: 10 }, (_, i) =>
				deploy(
					{ deployer: { email: i % 2 ? `${local.toUpperCase()}@example.com` : `${local}@example.com` } },
					i % 3 ? integration.webhook_url : other.webhook_url,
				),
			),
		);
		const listed = await peopleWith(`${local}@example.com`);
		expect(listed).toHaveLength(1);
		expect(listed[0]?.deploy_count).toBe(10);
	});

	it("counts each deploy once: a repeated dedup_id, with or without news, is no new deploy", async () => {
		const email = address("toby");
		const dedup_id = crypto.randomUUID();
		const service = unique("dup");
		expect(await deploy({ service, dedup_id, deployer: { email }, status: "queued" })).toBe("no_service_found");
		expect(await deploy({ service, dedup_id, deployer: { email } })).toBe("duplicate_deploy");
		expect(await deploy({ service, dedup_id, deployer: { email }, status: "running" })).toBe("duplicate_deploy");
		expect(await deploy({ service, dedup_id, deployer: { email }, status: "success" })).toBe("duplicate_deploy");
		await deploy({ service, deployer: { email } });
		const [person] = await peopleWith(email);
		expect(person?.deploy_count).toBe(2);
	});

	it("counts the same dedup_id from two integrations as two deploys", async () => {
		const email = address("darryl");
		const dedup_id = crypto.randomUUID();
		const other = await api.createIntegration(unique("other"));
		await deploy({ dedup_id, deployer: { email } });
		await deploy({ dedup_id, deployer: { email } }, other.webhook_url);
		const [person] = await peopleWith(email);
		expect(person?.deploy_count).toBe(2);
	});

	it("gives last_deploy_at as the latest deployed_at, not the latest arrival", async () => {
		const email = address("kelly");
		await deploy({ deployer: { email }, deployed_at: "2024-03-01T00:00:00Z" });
		await deploy({ deployer: { email }, deployed_at: "2024-03-05T12:30:00+02:00" });
		await deploy({ deployer: { email }, deployed_at: "2024-03-02T00:00:00Z" });
		const [person] = await peopleWith(email);
		expect(person).toMatchObject({ deploy_count: 3, last_deploy_at: "2024-03-05T10:30:00.000Z" });
	});

	// Ingest writes a known person's row only when the name changes (D1 bills each row written): these keep what that must not lose.
	it("keeps the latest name a deploy gave, through deploys that repeat it or give none", async () => {
		const email = address("creed");
		const named = async () => (await peopleWith(email)).map((p) => p.name);
		await deploy({ deployer: { email, name: "Creed Bratton" } });
		await deploy({ deployer: { email, name: "Creed Bratton" } });
		expect(await named()).toEqual(["Creed Bratton"]);
		await deploy({ deployer: { email } });
		expect(await named()).toEqual(["Creed Bratton"]);
		await deploy({ deployer: { email, name: "William Charles Schneider" } });
		expect(await named()).toEqual(["William Charles Schneider"]);
	});

	it("does not list a deployer known only by a name", async () => {
		const name = unique("Creed Bratton");
		await deploy({ deployer: { name } });
		expect((await listedPeople()).filter((p) => p.name === name || p.email.includes(name.toLowerCase()))).toEqual([]);
	});

	it("counts only the deploys that carried the person's e-mail", async () => {
		const email = address("nellie");
		const name = unique("Nellie Bertram");
		await deploy({ deployer: { email, name } });
		await deploy({ deployer: { name } });
		const [person] = await peopleWith(email);
		expect(person?.deploy_count).toBe(1);
	});

	it("lists the most recently active first", async () => {
		const [a, b, c] = [address("pam"), address("jim"), address("andy")];
		await deploy({ deployer: { email: a }, deployed_at: "2031-01-02T00:00:00Z" });
		await deploy({ deployer: { email: b }, deployed_at: "2031-01-03T00:00:00Z" });
		await deploy({ deployer: { email: c }, deployed_at: "2031-01-01T00:00:00Z" });
		// Pam's older deploy arrives last: activity is deployed_at, not arrival.
		await deploy({ deployer: { email: a }, deployed_at: "2020-01-01T00:00:00Z" });
		expect((await peopleWith(a, b, c)).map((p) => p.email)).toEqual([b, a, c]);
		const all = await listedPeople();
		const times = all.map((p) => p.last_deploy_at ?? "");
		expect(times).toEqual([...times].sort().reverse());
	});

	it("requires the admin token", async () => {
		expectError(await parseResponse(await call("/api/people")), 401, "Authorization Error");
	});
});
