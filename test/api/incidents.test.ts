import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import {
	admin,
	api,
	call,
	deploysOf,
	examplePayload,
	expectError,
	integrationBeforeAll,
	parseResponse,
	postDeploy,
	unique,
} from "../helpers";

const integration = integrationBeforeAll("incident tests");

const HOUR = 3_600_000;

/** Opens an incident through the API, insisting on a 201. */
async function open(body: Record<string, unknown>) {
	const res = await admin("POST", "/incidents", body);
	expect(res.status, JSON.stringify(res.body)).toBe(201);
	return res.body;
}

const tokenHeaders = async (role: string) => {
	const token = await admin("POST", "/tokens", { name: unique(`${role} bot`), role });
	return { Authorization: `Bearer ${token.body.secret}`, "Content-Type": "application/json" };
};

const incidentRows = async () =>
	(await env.DB.prepare("SELECT count(*) AS n FROM incidents").first<{ n: number }>())?.n ?? 0;

/**
 * The hand-computed fixture. Window: Oct 1 to Oct 11 2026; the previous one
 * Sep 21 to Oct 1. Deploys (Production unless said), each by its number:
 *   D1 Oct 1 10:00 success · D2 Oct 2 10:00 success · D3 Oct 2 12:00 failure
 *   D4 Oct 3 09:00 success, staging · D5 Oct 5 10:00 success
 *   D6 Oct 8 10:00 success · D7 Oct 9 10:00 no status
 * Incidents, with the 24-hour window:
 *   I1 Oct 2 15:00–16:00 (1 h): blames D2 (D3 failed, so never went live)
 *   I2 Oct 2 11:00–14:00 (3 h): blames D2 too (D3 came after it)
 *   I3 Oct 7 10:00–10:30 (30 min): D5 is 48 h before, outside the window: none
 *   I4 Oct 9 12:00, open, names D1: blames D1
 *   I5 Oct 4 09:00–11:00 (2 h), staging: blames D4, exactly 24 h before (production's D2 is not staging's)
 *   I6 Sep 30 23:00–Oct 1 01:00 (2 h), production: started in the previous window, resolved in this one
 */
describe("incident-based figures, against a hand-computed fixture", () => {
	const alias = unique("incident-fixture");
	let serviceId = "";
	const deployIds: Record<string, string> = {};
	const window = { from: "2026-10-01T00:00:00Z", to: "2026-10-11T00:00:00Z" };

	beforeAll(async () => {
		serviceId = (await api.createService(unique("Incident fixture"), [alias])).id;
		const deploys = [
			["D1", "2026-10-01T10:00:00Z", "success", "Production"],
			["D2", "2026-10-02T10:00:00Z", "success", "Production"],
			["D3", "2026-10-02T12:00:00Z", "failure", "Production"],
			["D4", "2026-10-03T09:00:00Z", "success", "staging"],
			["D5", "2026-10-05T10:00:00Z", "success", "Production"],
			["D6", "2026-10-08T10:00:00Z", "success", "Production"],
			["D7", "2026-10-09T10:00:00Z", undefined, "Production"],
		] as const;
		for (const [number, at, status, environment] of deploys) {
			const payload = examplePayload({ service: alias, deploy_number: number, deployed_at: at, status, environment });
			expect((await postDeploy(integration.webhook_url, payload)).status).toBe(202);
		}
		for (const d of await deploysOf(serviceId)) deployIds[d.deploy_number] = d.id;
		const incidents = [
			["I1", "2026-10-02T15:00:00Z", "2026-10-02T16:00:00Z", "production", undefined],
			["I2", "2026-10-02T11:00:00Z", "2026-10-02T14:00:00Z", "Production", undefined],
			["I3", "2026-10-07T10:00:00Z", "2026-10-07T10:30:00Z", "production", undefined],
			["I4", "2026-10-09T12:00:00Z", undefined, "production", "D1"],
			["I5", "2026-10-04T09:00:00Z", "2026-10-04T11:00:00Z", "staging", undefined],
			["I6", "2026-09-30T23:00:00Z", "2026-10-01T01:00:00Z", "production", undefined],
		] as const;
		for (const [title, started_at, resolved_at, environment, deploy] of incidents) {
			await open({
				service: alias,
				title,
				started_at,
				resolved_at,
				environment,
				deploy_id: deploy && deployIds[deploy],
			});
		}
	});

	async function incidentFigures(params: Record<string, string>) {
		const res = await admin("GET", `/metrics?${new URLSearchParams({ service: serviceId, ...window, ...params })}`);
		expect(res.status, JSON.stringify(res.body)).toBe(200);
		return { current: res.body.incidents, previous: res.body.previous.incidents };
	}

	it("blames each incident's named deploy, else the latest live deploy in its environment within 24 hours", async () => {
		expect(await incidentFigures({ environment: "production" })).toEqual({
			current: {
				count: 4,
				open: 1,
				// D2 (blamed twice, counted once) and D1, of D1, D2, D3, D5, D6, D7: not D3, which never went live.
				change_failure_rate: { failed: 2, total: 6, rate: 2 / 6 },
				// I1 1 h, I2 3 h, I3 30 min and I6 2 h: median the 2nd of four, p90 the 4th.
				time_to_restore: { count: 4, median_seconds: 3600, p90_seconds: 3 * 3600 },
				attribution_window_hours: 24,
			},
			previous: {
				// I6, still open at the previous window's end.
				count: 1,
				open: 1,
				change_failure_rate: { failed: 0, total: 0, rate: null },
				time_to_restore: { count: 0, median_seconds: null, p90_seconds: null },
			},
		});
	});

	it("counts every environment's incidents and deploys when no environment is asked for", async () => {
		const { current } = await incidentFigures({});
		expect(current).toEqual({
			count: 5,
			open: 1,
			// D2, D1 and staging's D4.
			change_failure_rate: { failed: 3, total: 7, rate: 3 / 7 },
			// 30 min, 1 h, 2 h, 2 h, 3 h.
			time_to_restore: { count: 5, median_seconds: 2 * 3600, p90_seconds: 3 * 3600 },
			attribution_window_hours: 24,
		});
	});

	it("keeps the status-based figures beside them, unchanged", async () => {
		const res = await admin(
			"GET",
			`/metrics?${new URLSearchParams({ service: serviceId, environment: "production", ...window })}`,
		);
		// D3 failed; D5 restored it 2 days 22 hours later.
		expect(res.body.change_failure_rate).toEqual({ failed: 1, rollbacks: 0, total: 6, rate: 1 / 6 });
		expect(res.body.time_to_restore.count).toBe(1);
	});

	it("blames further back with a wider window, as the setting says", async () => {
		const put = (hours: number) => admin("PUT", "/settings/incident_window", { incident_window_hours: hours });
		expect((await put(72)).body).toEqual({ incident_window_hours: 72 });
		try {
			const { current } = await incidentFigures({ environment: "production" });
			// I3 now blames D5, 48 hours before it.
			expect(current.change_failure_rate).toEqual({ failed: 3, total: 6, rate: 3 / 6 });
			expect(current.attribution_window_hours).toBe(72);
		} finally {
			await put(24);
		}
	});

	it("lists the service's incidents newest first, open ones as open", async () => {
		const res = await admin("GET", `/incidents?service=${alias}`);
		expect(res.status).toBe(200);
		expect(res.body.incidents.map((i: any) => [i.title, i.state, i.deploy_id])).toEqual([
			["I4", "open", deployIds.D1],
			["I3", "resolved", null],
			["I5", "resolved", null],
			["I1", "resolved", null],
			["I2", "resolved", null],
			["I6", "resolved", null],
		]);
	});
});

describe("POST /api/incidents", () => {
	const alias = unique("incident-api");
	let serviceId = "";
	beforeAll(async () => {
		serviceId = (await api.createService(unique("Incident API"), [alias])).id;
	});

	it("opens an incident by alias in the first production environment by default, audited, and resolves it", async () => {
		const started = new Date(Date.now() - HOUR).toISOString();
		const incident = await open({
			service: alias,
			title: "  Checkout down  ",
			started_at: started,
			link: "https://status.example.com/1",
		});
		expect(incident).toMatchObject({
			service: { id: serviceId },
			environment: "production",
			title: "Checkout down",
			link: "https://status.example.com/1",
			started_at: started,
			resolved_at: null,
			state: "open",
		});
		const resolved = await admin("POST", `/incidents/${incident.id}/resolve`);
		expect(resolved.status, JSON.stringify(resolved.body)).toBe(200);
		expect(resolved.body.state).toBe("resolved");
		const audit = await admin("GET", `/audit?target_type=incident&target_id=${incident.id}`);
		expect(audit.body.events.map((e: any) => e.action).reverse()).toEqual(["incident.open", "incident.resolve"]);

		// A second resolve would move its end: refused, and the end stays.
		expectError(
			await admin("POST", `/incidents/${incident.id}/resolve`, { resolved_at: new Date().toISOString() }),
			409,
		);
		expect((await admin("GET", `/incidents/${incident.id}`)).body.resolved_at).toBe(resolved.body.resolved_at);
	});

	it.each([
		["no body", undefined, "Body Error"],
		["not JSON", "{", "Body Error"],
		["no title", { service: "x", started_at: "2026-10-01T00:00:00Z" }, "Title Error"],
		["a blank title", { service: "x", title: "  ", started_at: "2026-10-01T00:00:00Z" }, "Title Error"],
		["a title too long", { service: "x", title: "x".repeat(501), started_at: "2026-10-01T00:00:00Z" }, "Title Error"],
		["no start", { service: "x", title: "t" }, "Started at Error"],
		["a start that is no date", { service: "x", title: "t", started_at: "yesterday" }, "Started at Error"],
		[
			"a javascript: link",
			{ service: "x", title: "t", started_at: "2026-10-01T00:00:00Z", link: "javascript:alert(1)" },
			"Link Error",
		],
		[
			"a link that is no URL",
			{ service: "x", title: "t", started_at: "2026-10-01T00:00:00Z", link: "status page" },
			"Link Error",
		],
		["a service that is a number", { service: 7, title: "t", started_at: "2026-10-01T00:00:00Z" }, "Service Error"],
	])("refuses %s with a 400, storing nothing", async (_, body, title) => {
		const before = await incidentRows();
		expectError(await admin("POST", "/incidents", body), 400, title);
		expect(await incidentRows()).toBe(before);
	});

	it("refuses times in the future, an end before the start, an unknown service and another service's deploy, storing nothing", async () => {
		const other = await api.createService(unique("Other"), [unique("other")]);
		const otherAlias = unique("other-deploys");
		await admin("POST", `/services/${other.id}/aliases`, { alias: otherAlias });
		await postDeploy(integration.webhook_url, examplePayload({ service: otherAlias }));
		const [otherDeploy] = await deploysOf(other.id);
		const now = Date.now();
		const base = { service: alias, title: "t", started_at: new Date(now - HOUR).toISOString() };
		const before = await incidentRows();
		const refusals = [
			[{ ...base, started_at: new Date(now + HOUR).toISOString() }, 400, "Started at Error"],
			[{ ...base, resolved_at: new Date(now + HOUR).toISOString() }, 400, "Resolved at Error"],
			[{ ...base, resolved_at: new Date(now - 2 * HOUR).toISOString() }, 400, "Resolved at Error"],
			[{ ...base, service: unique("nobody") }, 404, "Service Error"],
			[{ ...base, deploy_id: otherDeploy.id }, 400, "Deploy id Error"],
			[{ ...base, deploy_id: "no-such-deploy" }, 400, "Deploy id Error"],
		] as const;
		for (const [body, status, title] of refusals) expectError(await admin("POST", "/incidents", body), status, title);
		expect(await incidentRows()).toBe(before);
	});

	it("refuses resolving before the start or in the future, and an unknown incident", async () => {
		const incident = await open({ service: alias, title: "t", started_at: new Date(Date.now() - HOUR).toISOString() });
		const at = (ms: number) => ({ resolved_at: new Date(ms).toISOString() });
		expectError(
			await admin("POST", `/incidents/${incident.id}/resolve`, at(Date.now() - 2 * HOUR)),
			400,
			"Resolved at Error",
		);
		expectError(
			await admin("POST", `/incidents/${incident.id}/resolve`, at(Date.now() + HOUR)),
			400,
			"Resolved at Error",
		);
		expectError(await admin("POST", "/incidents/no-such-incident/resolve"), 404, "Incident Error");
		expect((await admin("GET", `/incidents/${incident.id}`)).body.state).toBe("open");
	});

	it("lets a viewer read incidents, an editor open and resolve them, and not a viewer", async () => {
		const [viewer, editor] = [await tokenHeaders("viewer"), await tokenHeaders("editor")];
		const body = JSON.stringify({ service: alias, title: "t", started_at: new Date(Date.now() - HOUR).toISOString() });
		const before = await incidentRows();
		expectError(await parseResponse(await call("/api/incidents", { method: "POST", headers: viewer, body })), 403);
		expect(await incidentRows()).toBe(before);
		const opened = await parseResponse(await call("/api/incidents", { method: "POST", headers: editor, body }));
		expect(opened.status).toBe(201);
		const resolve = (headers: Record<string, string>) =>
			call(`/api/incidents/${opened.body.id}/resolve`, { method: "POST", headers });
		expectError(await parseResponse(await resolve(viewer)), 403);
		expect((await resolve(editor)).status).toBe(200);
		expect((await call(`/api/incidents?service=${alias}`, { headers: viewer })).status).toBe(200);
		expectError(await parseResponse(await call("/api/incidents", { method: "POST", body })), 401);
	});
});

describe("the incident webhook", () => {
	const alias = unique("alerting");
	let serviceId = "";
	beforeAll(async () => {
		serviceId = (await api.createService(unique("Alerting"), [alias])).id;
	});

	/** The integration's incident URL: its deploy URL's secret under /integrations/incident/. */
	const incidentUrl = () =>
		new URL(integration.webhook_url).pathname.replace("/integrations/deploy/", "/integrations/incident/");
	const send = async (event: unknown, path = incidentUrl()) =>
		parseResponse(
			await call(path, { method: "POST", body: typeof event === "string" ? event : JSON.stringify(event) }),
		);
	const rowsUnder = async (id: string) =>
		(await env.DB.prepare("SELECT count(*) AS n FROM incidents WHERE external_id = ?1").bind(id).first<{ n: number }>())
			?.n ?? 0;

	it("opens on a trigger, keeps one incident for a repeated trigger, and resolves it", async () => {
		const id = unique("alert");
		const trigger = {
			action: "trigger",
			id,
			service: alias,
			title: "High error rate",
			started_at: new Date(Date.now() - HOUR).toISOString(),
		};
		const opened = await send(trigger);
		expect(opened).toEqual({ status: 202, body: { result: "created", incident_id: expect.any(String) } });
		// Repeated as-is, and re-notified later while it is still open: the same incident.
		expect((await send(trigger)).body).toEqual({ result: "duplicate", incident_id: opened.body.incident_id });
		expect((await send({ ...trigger, started_at: new Date().toISOString() })).body.result).toBe("duplicate");
		expect(await rowsUnder(id)).toBe(1);

		const resolve = { action: "resolve", id, resolved_at: new Date().toISOString() };
		expect((await send(resolve)).body).toEqual({ result: "resolved", incident_id: opened.body.incident_id });
		expect((await send(resolve)).body.result).toBe("duplicate");
		const incident = (await admin("GET", `/incidents/${opened.body.incident_id}`)).body;
		expect(incident).toMatchObject({
			service: { id: serviceId },
			external_id: id,
			state: "resolved",
			resolved_at: resolve.resolved_at,
		});
	});

	it("refuses a late or replayed trigger that would reopen a resolved incident, and a second resolution, storing nothing", async () => {
		const id = unique("alert");
		const startedAt = Date.now() - 2 * HOUR;
		const resolvedAt = Date.now() - HOUR;
		await send({
			action: "trigger",
			id,
			service: alias,
			title: "Disk full",
			started_at: new Date(startedAt).toISOString(),
		});
		await send({ action: "resolve", id, resolved_at: new Date(resolvedAt).toISOString() });
		// A trigger from before the resolution, arriving after it (late, or replayed by someone who kept it).
		const stale = {
			action: "trigger",
			id,
			service: alias,
			title: "Disk full",
			started_at: new Date(resolvedAt - 60_000).toISOString(),
		};
		expectError(await send(stale), 409, "Started at Error");
		expectError(await send({ action: "resolve", id, resolved_at: new Date().toISOString() }), 409, "Incident Error");
		expect(await rowsUnder(id)).toBe(1);
		// A new trigger after the resolution is a new incident under the same key.
		expect((await send({ ...stale, started_at: new Date().toISOString() })).body.result).toBe("created");
		expect(await rowsUnder(id)).toBe(2);
	});

	it.each([
		["not JSON", "{", 400, "Body Error"],
		["no action", { id: "a", service: "s", title: "t" }, 400, "Action Error"],
		["an unknown action", { action: "acknowledge", id: "a" }, 400, "Action Error"],
		["a trigger with no title", { action: "trigger", id: "a", service: "s" }, 400, "Title Error"],
		["a trigger with no id", { action: "trigger", service: "s", title: "t" }, 400, "Id Error"],
		[
			"a trigger in the future",
			{ action: "trigger", id: "a", service: "s", title: "t", started_at: "2999-01-01T00:00:00Z" },
			400,
			"Started at Error",
		],
		[
			"a resolve in the future",
			{ action: "resolve", id: "a", resolved_at: "2999-01-01T00:00:00Z" },
			400,
			"Resolved at Error",
		],
		["a resolve of an id never triggered", { action: "resolve", id: "never-triggered" }, 404, "Id Error"],
		[
			"a trigger for an unknown service",
			{ action: "trigger", id: "a", service: "nobody-at-all", title: "t" },
			404,
			"Service Error",
		],
	])("refuses %s, storing nothing", async (_, event, status, title) => {
		const before = await incidentRows();
		expectError(await send(event), status, title);
		expect(await incidentRows()).toBe(before);
	});

	it("answers 404 for a URL no live integration has, a revoked one included", async () => {
		const event = { action: "trigger", id: unique("alert"), service: alias, title: "t" };
		expectError(await send(event, `/integrations/incident/${crypto.randomUUID()}`), 404, "Integration Error");
		expectError(await send(event, "/integrations/incident/not-a-uuid"), 404, "Integration Error");
		const revoked = await api.createIntegration(unique("revoked"));
		const url = new URL(revoked.webhook_url).pathname.replace("/integrations/deploy/", "/integrations/incident/");
		expect((await send({ ...event, id: unique("alert") }, url)).status).toBe(202);
		expect((await admin("DELETE", `/integrations/${revoked.id}`)).status).toBeLessThan(300);
		const before = await incidentRows();
		expectError(await send(event, url), 404, "Integration Error");
		expect(await incidentRows()).toBe(before);
	});

	it("refuses a GitHub integration's token, whose events must be signed, and answers paths that are no URL with a 404", async () => {
		const { body: github } = await admin("POST", "/integrations", { name: unique("signed"), kind: "github" });
		const token = new URL(github.webhook_url).pathname.split("/").at(-1);
		const event = { action: "trigger", id: unique("alert"), service: alias, title: "t" };
		const before = await incidentRows();

		expectError(await send(event, `/integrations/incident/${token}`), 404, "Integration Error");
		expectError(await send(event, `${incidentUrl()}/extra`), 404, "Integration Error");
		expect(await incidentRows()).toBe(before);
	});
});

describe("a merge", () => {
	it("takes the merged service's incidents along, as it does its deploys", async () => {
		const [kept, merged] = [
			await api.createService(unique("Kept"), [unique("kept")]),
			await api.createService(unique("Merged"), [unique("merged")]),
		];
		const incident = await open({
			service: merged.id,
			title: "t",
			started_at: new Date(Date.now() - HOUR).toISOString(),
		});
		expect((await admin("POST", `/services/${merged.id}/merge`, { into_service_id: kept.id })).status).toBe(200);
		const listed = (await admin("GET", `/incidents?service=${kept.id}`)).body.incidents;
		expect(listed.map((i: any) => [i.id, i.service.id])).toEqual([[incident.id, kept.id]]);
	});
});
