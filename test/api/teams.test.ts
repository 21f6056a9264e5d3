import { describe, expect, it } from "vitest";
import { MAX_TEAM_MEMBERS } from "../../src/catalog/teams";
import { admin, api, call, expectError, ISO_DATETIME, parseResponse, unique } from "../helpers";

type Team = { id: string; name: string; members: string[]; services: { id: string; name: string }[] };

async function createTeam(name: string, members?: string[]): Promise<Team> {
	const res = await admin("POST", "/teams", { name, members });
	expect(res.status, JSON.stringify(res.body)).toBe(201);
	return res.body;
}

async function assign(serviceId: string, teamId: string | null) {
	const res = await admin("PUT", `/services/${serviceId}/team`, { team_id: teamId });
	expect(res.status, JSON.stringify(res.body)).toBe(200);
	return res.body;
}

/** A team's audit events, oldest first, as action and details. */
async function auditOf(type: string, id: string) {
	const { body } = await admin("GET", `/audit?target_type=${type}&target_id=${id}`);
	return body.events.reverse().map((e: any) => ({ action: e.action, details: e.details }));
}

const tokenHeaders = async (role: string) => {
	const token = await admin("POST", "/tokens", { name: unique(`${role} bot`), role });
	return { Authorization: `Bearer ${token.body.secret}`, "Content-Type": "application/json" };
};

describe("teams", () => {
	it("are created with their members trimmed, lower-cased and each listed once, and audited", async () => {
		const name = unique("Payments");
		const res = await admin("POST", "/teams", {
			name,
			members: [" Ann@Example.com ", "bob@example.com", "ann@example.com"],
		});
		expect(res.status).toBe(201);
		expect(res.body).toEqual({
			id: expect.any(String),
			name,
			members: ["ann@example.com", "bob@example.com"],
			services: [],
			created_at: expect.stringMatching(ISO_DATETIME),
		});
		expect(await admin("GET", `/teams/${res.body.id}`)).toEqual({ status: 200, body: res.body });
		expect(await auditOf("team", res.body.id)).toEqual([
			{ action: "team.create", details: { name, members: ["ann@example.com", "bob@example.com"] } },
		]);
	});

	it("refuses a name another team has in any letter case with a 409", async () => {
		const name = unique("Search");
		await createTeam(name);
		expectError(await admin("POST", "/teams", { name: name.toUpperCase() }), 409, "Name Error");
	});

	it("gives one of two creations racing for a name a 409, and keeps one team", async () => {
		const name = unique("Racing");
		const results = await Promise.all([admin("POST", "/teams", { name }), admin("POST", "/teams", { name })]);
		expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
		const { body } = await admin("GET", "/teams");
		expect(body.teams.filter((t: Team) => t.name === name)).toHaveLength(1);
	});

	it.each([
		["no body", undefined, "Body Error"],
		["no name", { members: [] }, "Name Error"],
		["a name that is not text", { name: 7 }, "Name Error"],
		["members that are not a list", { name: "x", members: "a@example.com" }, "Members Error"],
		["a member that is not an email", { name: "x", members: ["not an email"] }, "Members 0 Error"],
		[
			"too many members",
			{ name: "x", members: Array.from({ length: MAX_TEAM_MEMBERS + 1 }, (_, i) => `p${i}@example.com`) },
			"Members Error",
		],
	])("refuses %s with a 400", async (_, body, title) => {
		expectError(await admin("POST", "/teams", body), 400, title);
	});

	it("are renamed and given new members, each change audited once", async () => {
		const team = await createTeam(unique("Old"));
		const name = unique("New");
		const renamed = await admin("PATCH", `/teams/${team.id}`, { name, members: ["Cy@Example.com"] });
		expect(renamed).toEqual({ status: 200, body: { ...team, name, members: ["cy@example.com"] } });
		// The same again changes nothing and logs nothing.
		expect((await admin("PATCH", `/teams/${team.id}`, { name })).body).toEqual(renamed.body);
		expect(await auditOf("team", team.id)).toEqual([
			{ action: "team.create", details: { name: team.name, members: [] } },
			{
				action: "team.update",
				details: { from: team.name, to: name, members: ["cy@example.com"], previous_members: [] },
			},
		]);
	});

	it("refuses a rename to another team's name (409) and a missing team (404)", async () => {
		const [a, b] = [await createTeam(unique("A")), await createTeam(unique("B"))];
		expectError(await admin("PATCH", `/teams/${a.id}`, { name: b.name.toLowerCase() }), 409, "Name Error");
		expectError(await admin("PATCH", "/teams/nope", { name: "x" }), 404, "Team Error");
		expectError(await admin("GET", "/teams/nope"), 404, "Team Error");
		expectError(await admin("DELETE", "/teams/nope"), 404, "Team Error");
	});

	it("are deleted leaving their services unowned, the audit row naming them", async () => {
		const team = await createTeam(unique("Gone"));
		const service = await api.createService(unique("Orphan"));
		await assign(service.id, team.id);
		expect((await admin("DELETE", `/teams/${team.id}`)).status).toBe(204);
		expectError(await admin("GET", `/teams/${team.id}`), 404, "Team Error");
		expect((await admin("GET", `/services/${service.id}`)).body.team).toBeNull();
		expect((await auditOf("team", team.id)).at(-1)).toEqual({
			action: "team.delete",
			details: { name: team.name, services: [service.id] },
		});
	});

	it("are read by a viewer, changed by an editor, not by a viewer", async () => {
		const viewer = await tokenHeaders("viewer");
		const editor = await tokenHeaders("editor");
		const team = await createTeam(unique("Visible"));
		expect((await call(`/api/teams/${team.id}`, { headers: viewer })).status).toBe(200);
		const body = JSON.stringify({ name: unique("Viewer's") });
		expectError(await parseResponse(await call("/api/teams", { method: "POST", headers: viewer, body })), 403);
		expect((await call("/api/teams", { method: "POST", headers: editor, body })).status).toBe(201);
	});
});

describe("PUT /api/services/:id/team", () => {
	it("gives a service to a team, shows it in the service and the team, and takes it back", async () => {
		const team = await createTeam(unique("Owners"));
		const service = await api.createService(unique("Owned"));
		expect((await admin("GET", `/services/${service.id}`)).body.team).toBeNull();
		expect((await assign(service.id, team.id)).team).toEqual({ id: team.id, name: team.name });
		expect((await admin("GET", `/teams/${team.id}`)).body.services).toEqual([{ id: service.id, name: service.name }]);
		expect((await assign(service.id, null)).team).toBeNull();
		expect(await auditOf("service", service.id)).toEqual([
			{ action: "service.create", details: expect.any(Object) },
			{ action: "service.team", details: { team_id: team.id, previous_team_id: null } },
			{ action: "service.team", details: { team_id: null, previous_team_id: team.id } },
		]);
	});

	it("moves a service from one team to another: a service has at most one", async () => {
		const [a, b] = [await createTeam(unique("First")), await createTeam(unique("Second"))];
		const service = await api.createService(unique("Moving"));
		await assign(service.id, a.id);
		await assign(service.id, b.id);
		expect((await admin("GET", `/teams/${a.id}`)).body.services).toEqual([]);
		expect((await admin("GET", `/teams/${b.id}`)).body.services).toEqual([{ id: service.id, name: service.name }]);
	});

	it("refuses a missing team or service with a 404 and a bad body with a 400, changing nothing", async () => {
		const service = await api.createService(unique("Kept"));
		expectError(await admin("PUT", `/services/${service.id}/team`, { team_id: "nope" }), 404, "Team Error");
		const team = await createTeam(unique("Real"));
		expectError(await admin("PUT", "/services/nope/team", { team_id: team.id }), 404, "Service Error");
		expectError(await admin("PUT", `/services/${service.id}/team`, { team_id: 5 }), 400, "Team id Error");
		expectError(await admin("PUT", `/services/${service.id}/team`, {}), 400, "Team id Error");
		expectError(await admin("PUT", `/services/${service.id}/team`), 400, "Body Error");
		expect((await admin("GET", `/services/${service.id}`)).body.team).toBeNull();
	});

	it("is refused to a viewer", async () => {
		const service = await api.createService(unique("Guarded"));
		const body = JSON.stringify({ team_id: null });
		const res = await call(`/api/services/${service.id}/team`, {
			method: "PUT",
			headers: await tokenHeaders("viewer"),
			body,
		});
		expectError(await parseResponse(res), 403);
	});
});
