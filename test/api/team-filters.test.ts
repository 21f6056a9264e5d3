import { describe, expect, it } from "vitest";
import {
	ADMIN,
	admin,
	api,
	call,
	examplePayload,
	expectError,
	integrationBeforeAll,
	parseResponse,
	postDeploy,
	unique,
	utf8Body,
} from "../helpers";

const integration = integrationBeforeAll("team filters");

type Shipped = { at: string; status?: string; authored?: string };

/** Sends a deploy of `alias` through the webhook, in Production, with a fresh sha (never a rollback). */
async function ship(alias: string, d: Shipped) {
	const commit = { sha: crypto.randomUUID(), authoring_date: d.authored, date: undefined };
	const res = await postDeploy(
		integration.webhook_url,
		examplePayload({ service: alias, deployed_at: d.at, status: d.status, environment: "Production", commit }),
	);
	expect(res.status).toBe(202);
}

/**
 * A team owning services A and B, and service C outside it, with deploys in
 * March 2024: A ships (lead 1 h), fails, and is restored a day later; B ships
 * (lead 3 h); C ships once.
 */
async function fixture() {
	const team = (await admin("POST", "/teams", { name: unique("Checkout") })).body;
	const [a, b, c] = [unique("a"), unique("b"), unique("c")];
	const services = await Promise.all([a, b, c].map((alias) => api.createService(alias, [alias])));
	for (const s of services.slice(0, 2)) await admin("PUT", `/services/${s.id}/team`, { team_id: team.id });
	await ship(a, { at: "2024-03-02T10:00:00Z", status: "success", authored: "2024-03-02T09:00:00Z" });
	await ship(a, { at: "2024-03-05T00:00:00Z", status: "failure" });
	await ship(a, { at: "2024-03-06T00:00:00Z", status: "success" });
	await ship(b, { at: "2024-03-10T12:00:00Z", status: "success", authored: "2024-03-10T09:00:00Z" });
	await ship(c, { at: "2024-03-03T00:00:00Z", status: "failure", authored: "2024-03-01T00:00:00Z" });
	return { team, services };
}

const MARCH = { from: "2024-03-01T00:00:00Z", to: "2024-04-01T00:00:00Z" };

describe("filters by team", () => {
	it("list exactly the team's services", async () => {
		const { team, services } = await fixture();
		const { body } = await admin("GET", `/services?team=${team.id}`);
		expect(body.services.map((s: any) => [s.name, s.team])).toEqual(
			services.slice(0, 2).map((s) => [s.name, { id: team.id, name: team.name }]),
		);
	});

	it("list exactly the team's deploys, newest first, and export them", async () => {
		const { team, services } = await fixture();
		const [a, b] = services.map((s) => s.name);
		const expected = [
			[b, "2024-03-10T12:00:00.000Z"],
			[a, "2024-03-06T00:00:00.000Z"],
			[a, "2024-03-05T00:00:00.000Z"],
			[a, "2024-03-02T10:00:00.000Z"],
		];
		const { body } = await admin("GET", `/deploys?team=${team.id}`);
		expect(body.deploys.map((d: any) => [d.service.name, d.deployed_at])).toEqual(expected);
		const exported = await utf8Body(await call(`/api/deploys/export?team=${team.id}`, { headers: ADMIN }));
		const lines = exported
			.trim()
			.split("\n")
			.map((line) => JSON.parse(line));
		expect(lines.map((d: any) => [d.service.name, d.deployed_at])).toEqual(expected);
	});

	it("give the team's DORA figures over its services' deploys, as computed by hand", async () => {
		const { team } = await fixture();
		const body = (await admin("GET", `/metrics?${new URLSearchParams({ team: team.id, ...MARCH })}`)).body;
		expect(body.filters).toEqual({ service: null, team: team.id, environment: null });
		expect({
			deployment_frequency: body.deployment_frequency.total,
			lead_time: body.lead_time,
			change_failure_rate: body.change_failure_rate,
			time_to_restore: body.time_to_restore,
		}).toEqual({
			// A's three and B's one; C's is another team's business.
			deployment_frequency: 4,
			// 1 h and 3 h: nearest-rank median the lower, p90 the higher.
			lead_time: { count: 2, median_seconds: 3600, p90_seconds: 10_800 },
			change_failure_rate: { failed: 1, rollbacks: 0, total: 4, rate: 0.25 },
			// A's failure, restored by its next success a day later.
			time_to_restore: { count: 1, median_seconds: 86_400, p90_seconds: 86_400, unrestored: 0 },
		});
	});

	it("see a service's deploys move with it to another team", async () => {
		const { team, services } = await fixture();
		await admin("PUT", `/services/${services[0]?.id}/team`, { team_id: null });
		const { body } = await admin("GET", `/deploys?team=${team.id}`);
		expect(body.deploys.map((d: any) => d.service.name)).toEqual([services[1]?.name]);
	});

	it.each([
		["services", "/api/services?team=nope"],
		["deploys", "/api/deploys?team=nope"],
		["export", "/api/deploys/export?team=nope"],
		["metrics", "/api/metrics?team=nope"],
	])("refuse an unknown team on %s with a 404, never an empty success", async (_, path) => {
		expectError(await parseResponse(await call(path, { headers: ADMIN })), 404, "Team Error");
	});

	it("refuse a team id longer than any id with a 400", async () => {
		const res = await parseResponse(await call(`/api/deploys?team=${"x".repeat(65)}`, { headers: ADMIN }));
		expectError(res, 400, "Team Error");
	});
});
