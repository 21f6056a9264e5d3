import { describe, expect, it } from "vitest";
import {
	acceptedDeploy,
	admin,
	api,
	call,
	examplePayload,
	expectError,
	integrationBeforeAll,
	postDeploy,
	unique,
} from "../helpers";

const integration = integrationBeforeAll("environments tests");

/** Sends a deploy through the webhook, insisting it was accepted; answers its dedup_id. */
async function deploy(overrides: Record<string, unknown>, webhookUrl = integration.webhook_url): Promise<string> {
	return (await acceptedDeploy(webhookUrl, overrides)).dedupId;
}

/** GET /api/services/:id/environments, insisting on a 200. */
async function environments(serviceId: string) {
	const res = await admin("GET", `/services/${serviceId}/environments`);
	expect(res.status).toBe(200);
	return res.body;
}

/** Environment → the dedup_id of its live deploy, in the order listed. */
async function current(serviceId: string): Promise<[string | null, string][]> {
	const body = await environments(serviceId);
	return body.environments.map((e: any) => [e.environment, e.deploy.dedup_id]);
}

/** Environment → the dedup_ids of its live deploy and of any newer attempt (with the attempt's status). */
async function liveAndAttempt(serviceId: string) {
	const body = await environments(serviceId);
	return body.environments.map((e: any) => ({
		environment: e.environment,
		live: e.deploy?.dedup_id ?? null,
		attempt: e.attempt && { dedup_id: e.attempt.deploy.dedup_id, status: e.attempt.deploy.status },
	}));
}

/** A fresh service with one fresh alias. */
async function service(prefix: string) {
	const alias = unique(prefix);
	const created = await api.createService(unique(prefix), [alias]);
	return { ...created, alias };
}

describe("GET /api/services/:id/environments", () => {
	it("answers { service, environments } with one entry per environment", async () => {
		const svc = await service("shape");
		await deploy({ service: svc.alias, environment: "Production", deployed_at: "2024-01-01T00:00:00Z" });
		await deploy({ service: svc.alias, environment: "Production", deployed_at: "2024-01-02T00:00:00Z" });
		await deploy({ service: svc.alias, environment: "Staging", deployed_at: "2024-01-03T00:00:00Z" });
		const body = await environments(svc.id);
		expect(body).toEqual({
			service: { id: svc.id, name: svc.name },
			environments: [
				{
					environment: "Production",
					live_since: "2024-01-02T00:00:00.000Z",
					live_for_seconds: expect.any(Number),
					deploy: expect.any(Object),
					attempt: null,
				},
				{
					environment: "Staging",
					live_since: "2024-01-03T00:00:00.000Z",
					live_for_seconds: expect.any(Number),
					deploy: expect.any(Object),
					attempt: null,
				},
			],
		});
	});

	it("lists environments alphabetically, the deploys without an environment last", async () => {
		const svc = await service("order");
		const sent: Record<string, string> = {};
		for (const environment of ["Staging", undefined, "Production", "QA", "Development"]) {
			sent[environment ?? "none"] = await deploy({ service: svc.alias, environment });
		}
		expect(await current(svc.id)).toEqual([
			["Development", sent.Development],
			["Production", sent.Production],
			["QA", sent.QA],
			["Staging", sent.Staging],
			[null, sent.none],
		]);
	});

	it("lists the deploys without an environment as one entry with environment null", async () => {
		const svc = await service("null-env");
		await deploy({ service: svc.alias, environment: undefined, deployed_at: "2024-01-01T00:00:00Z" });
		const latest = await deploy({ service: svc.alias, environment: null, deployed_at: "2024-01-03T00:00:00Z" });
		await deploy({ service: svc.alias, environment: "", deployed_at: "2024-01-02T00:00:00Z" });
		expect(await current(svc.id)).toEqual([[null, latest]]);
	});

	it("shows each environment's deploy with the latest deployed_at, whatever the arrival order", async () => {
		const svc = await service("latest");
		await deploy({ service: svc.alias, environment: "Production", deployed_at: "2024-02-01T00:00:00Z" });
		const newest = await deploy({ service: svc.alias, environment: "Production", deployed_at: "2024-02-03T00:00:00Z" });
		await deploy({ service: svc.alias, environment: "Production", deployed_at: "2024-02-02T00:00:00Z" });
		const staging = await deploy({ service: svc.alias, environment: "Staging", deployed_at: "2024-01-01T00:00:00Z" });
		expect(await current(svc.id)).toEqual([
			["Production", newest],
			["Staging", staging],
		]);
	});

	it("gives a deployed_at tie to the later arrival", async () => {
		const svc = await service("tie");
		await deploy({ service: svc.alias, environment: "Production", deployed_at: "2024-03-01T00:00:00Z" });
		await deploy({ service: svc.alias, environment: "Production", deployed_at: "2024-03-01T00:00:00Z" });
		const last = await deploy({ service: svc.alias, environment: "Production", deployed_at: "2024-03-01T00:00:00Z" });
		expect(await current(svc.id)).toEqual([["Production", last]]);
	});

	it("keeps the current deploy when one arrives later with an older deployed_at", async () => {
		const svc = await service("late");
		const live = await deploy({ service: svc.alias, environment: "Production", deployed_at: "2024-04-02T00:00:00Z" });
		expect(await current(svc.id)).toEqual([["Production", live]]);
		await deploy({ service: svc.alias, environment: "Production", deployed_at: "2024-04-01T23:59:59.999Z" });
		expect(await current(svc.id)).toEqual([["Production", live]]);
	});

	it("counts the deploys of every alias of the service, from every integration", async () => {
		const [a, b] = [unique("alias-a"), unique("alias-b")];
		const svc = await api.createService(unique("Aliased"), [a, b]);
		const other = await api.createIntegration(unique("other"));
		await deploy({ service: a, environment: "Production", deployed_at: "2024-05-01T00:00:00Z" });
		const viaB = await deploy({
			service: b.toUpperCase(),
			environment: "Production",
			deployed_at: "2024-05-02T00:00:00Z",
		});
		const staging = await deploy({ service: a, environment: "Staging", deployed_at: "2024-05-01T00:00:00Z" });
		const qa = await deploy({ service: b, environment: "QA", deployed_at: "2024-05-01T00:00:00Z" }, other.webhook_url);
		expect(await current(svc.id)).toEqual([
			["Production", viaB],
			["QA", qa],
			["Staging", staging],
		]);
	});

	it("counts deploys recorded under an alias before the service claimed it", async () => {
		const svc = await service("claimed");
		const early = unique("early");
		const before = await deploy({ service: early, environment: "Production", deployed_at: "2024-06-02T00:00:00Z" });
		await deploy({ service: svc.alias, environment: "Production", deployed_at: "2024-06-01T00:00:00Z" });
		expect((await admin("POST", `/services/${svc.id}/aliases`, { alias: early })).status).toBe(201);
		expect(await current(svc.id)).toEqual([["Production", before]]);
	});

	it("ignores other services' deploys and unclaimed deploys", async () => {
		const svc = await service("mine");
		const neighbour = await service("neighbour");
		const mine = await deploy({ service: svc.alias, environment: "Production", deployed_at: "2024-07-01T00:00:00Z" });
		await deploy({ service: neighbour.alias, environment: "Production", deployed_at: "2024-07-02T00:00:00Z" });
		await deploy({ service: neighbour.alias, environment: "Staging", deployed_at: "2024-07-02T00:00:00Z" });
		await deploy({ service: unique("loose"), environment: "Production", deployed_at: "2024-07-03T00:00:00Z" });
		expect(await current(svc.id)).toEqual([["Production", mine]]);
	});

	it("gives live_since as the current deploy's deployed_at and live_for_seconds as the time since", async () => {
		const svc = await service("live");
		const deployedAt = Date.now() - 3 * 3600_000 - 1234;
		await deploy({ service: svc.alias, environment: "Production", deployed_at: new Date(deployedAt).toISOString() });
		const before = Date.now();
		const body = await environments(svc.id);
		const after = Date.now();
		const [production] = body.environments;
		expect(production.live_since).toBe(new Date(deployedAt).toISOString());
		expect(production.live_for_seconds).toEqual(expect.any(Number));
		expect(Number.isInteger(production.live_for_seconds)).toBe(true);
		expect(production.live_for_seconds).toBeGreaterThanOrEqual(Math.floor((before - deployedAt) / 1000) - 1);
		expect(production.live_for_seconds).toBeLessThanOrEqual(Math.ceil((after - deployedAt) / 1000) + 1);
	});

	it("measures live_for_seconds from a years-old deployed_at", async () => {
		const svc = await service("old");
		await deploy({ service: svc.alias, environment: "Production", deployed_at: "2019-02-01 13:28:33" });
		const [production] = (await environments(svc.id)).environments;
		const expected = (Date.now() - Date.parse("2019-02-01T13:28:33Z")) / 1000;
		expect(production.live_since).toBe("2019-02-01T13:28:33.000Z");
		expect(production.live_for_seconds).toBeGreaterThan(expected - 60);
		expect(production.live_for_seconds).toBeLessThanOrEqual(expected + 1);
	});

	it("never answers a negative live_for_seconds for a deployed_at in the future", async () => {
		const svc = await service("future");
		const future = new Date(Date.now() + 3600_000).toISOString();
		await deploy({ service: svc.alias, environment: "Production", deployed_at: future });
		const [production] = (await environments(svc.id)).environments;
		expect(production.live_since).toBe(future);
		expect(production.live_for_seconds).toBe(0);
	});

	it("shows the current deploy as the deploy list does, with commit, deployer and deploy number", async () => {
		const svc = await service("presented");
		await deploy({ service: svc.alias, environment: "Production", deployed_at: "2024-08-01T00:00:00Z" });
		await deploy({
			service: svc.alias,
			environment: "Production",
			deployed_at: "2024-08-02T00:00:00Z",
			deploy_number: "77",
			deployer: { email: "Dwight@Example.com", name: "Dwight Schrute", id: "dwight" },
			commit: { sha: "0123456789abcdef0123456789abcdef01234567", message: "Beets", branch: "farm" },
			status: "Succeeded",
		});
		const [production] = (await environments(svc.id)).environments;
		const [listed] = (await api.listDeploys({ service: svc.id, environment: "Production", limit: 1 })).deploys;
		expect(production.deploy).toEqual(listed);
		expect(production.deploy).toMatchObject({
			service: { id: svc.id, name: svc.name },
			environment: "Production",
			deploy_number: "77",
			status: "success",
			deployer: { email: "Dwight@Example.com", name: "Dwight Schrute", id: "dwight", person_id: expect.any(String) },
			commit: { sha: "0123456789abcdef0123456789abcdef01234567", message: "Beets", branch: "farm" },
		});
	});

	it("treats every letter case and spacing of an environment as one, named by its latest deploy's spelling", async () => {
		const svc = await service("spelling");
		await deploy({ service: svc.alias, environment: "production", deployed_at: "2024-09-01T00:00:00Z" });
		const newest = await deploy({
			service: svc.alias,
			environment: " Production ",
			deployed_at: "2024-09-03T00:00:00Z",
		});
		await deploy({ service: svc.alias, environment: "PRODUCTION", deployed_at: "2024-09-02T00:00:00Z" });
		const staging = await deploy({ service: svc.alias, environment: "staging", deployed_at: "2024-09-01T00:00:00Z" });
		expect(await current(svc.id)).toEqual([
			["Production", newest],
			["staging", staging],
		]);
		// Each deploy keeps the spelling it was sent with.
		const { deploys } = await api.listDeploys({ service: svc.id, environment: "PRODUCTION" });
		expect(deploys.map((d: any) => d.environment)).toEqual(["Production", "PRODUCTION", "production"]);
	});

	it("shows the latest deploy that succeeded or sent no status as live, and a newer failed, canceled or unfinished one as an attempt", async () => {
		const svc = await service("attempts");
		const at = (day: number) => `2024-10-${String(day).padStart(2, "0")}T00:00:00Z`;
		const send = (environment: string, day: number, status?: string) =>
			deploy({ service: svc.alias, environment, deployed_at: at(day), status });
		// Production: #19 succeeded, then #20 failed, #21 was canceled and #22 is still running.
		await send("production", 1, "success");
		const live = await send("production", 2, "success");
		await send("production", 3, "failed");
		await send("production", 4, "cancelled");
		const running = await send("production", 5, "in_progress");
		// Staging reports only finished deploys: no status counts as live; a queued one after it is an attempt.
		const noStatus = await send("staging", 1);
		const queued = await send("staging", 2, "queued");
		// QA: only a failure so far, so nothing runs there.
		const failedOnly = await send("qa", 1, "failure");
		// Dev: a failure, then a success: the success runs and there is no attempt.
		await send("dev", 1, "failure");
		const fixed = await send("dev", 2, "success");
		expect(await liveAndAttempt(svc.id)).toEqual([
			{ environment: "dev", live: fixed, attempt: null },
			{ environment: "production", live, attempt: { dedup_id: running, status: "running" } },
			{ environment: "qa", live: null, attempt: { dedup_id: failedOnly, status: "failure" } },
			{ environment: "staging", live: noStatus, attempt: { dedup_id: queued, status: "queued" } },
		]);
	});

	it("gives an attempt its age, and no live_since to an environment where nothing runs", async () => {
		const svc = await service("attempt-age");
		const deployedAt = Date.now() - 31 * 60_000;
		await deploy({
			service: svc.alias,
			environment: "production",
			deployed_at: new Date(deployedAt).toISOString(),
			status: "canceled",
		});
		const [production] = (await environments(svc.id)).environments;
		expect({ ...production, attempt: { ...production.attempt, deploy: production.attempt.deploy.status } }).toEqual({
			environment: "production",
			live_since: null,
			live_for_seconds: null,
			deploy: null,
			attempt: { deploy: "canceled", age_seconds: expect.any(Number) },
		});
		expect(production.attempt.age_seconds).toBeGreaterThanOrEqual(31 * 60 - 1);
		expect(production.attempt.age_seconds).toBeLessThan(31 * 60 + 60);
	});

	it("moves an attempt to live when a repeated dedup_id reports its success", async () => {
		const svc = await service("promoted");
		const live = await deploy({ service: svc.alias, environment: "production", deployed_at: "2024-11-01T00:00:00Z" });
		const payload = { service: svc.alias, environment: "production", deployed_at: "2024-11-02T00:00:00Z" };
		const pending = await deploy({ ...payload, status: "running" });
		expect(await liveAndAttempt(svc.id)).toEqual([
			{ environment: "production", live, attempt: { dedup_id: pending, status: "running" } },
		]);
		await postDeploy(integration.webhook_url, examplePayload({ ...payload, dedup_id: pending, status: "success" }));
		expect(await liveAndAttempt(svc.id)).toEqual([{ environment: "production", live: pending, attempt: null }]);
	});

	it("answers an empty list for a service with no deploys", async () => {
		const svc = await service("quiet");
		expect(await environments(svc.id)).toEqual({ service: { id: svc.id, name: svc.name }, environments: [] });
	});

	it.each([
		["an unknown id", crypto.randomUUID()],
		["a malformed id", "not-a-service"],
	])("answers 404 Service Error for %s", async (_, id) => {
		expectError(await admin("GET", `/services/${id}/environments`), 404, "Service Error");
	});

	it("requires the admin token", async () => {
		const svc = await service("auth");
		expect((await call(`/api/services/${svc.id}/environments`)).status).toBe(401);
	});
});
