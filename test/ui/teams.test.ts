import { describe, expect, it } from "vitest";
import { admin, api, examplePayload, integrationBeforeAll, postDeploy, unique } from "../helpers";
import { cells, escaped, rowOf, section, submit, view } from "./helpers";

const integration = integrationBeforeAll("team pages");

const teamOf = async (serviceId: string) => (await admin("GET", `/services/${serviceId}`)).body.team;

describe("team pages", () => {
	it("create a team from the list and land on its page", async () => {
		const name = unique("Platform");
		const done = await submit("/teams", { name, members: "Ann@Example.com\nbob@example.com" });
		expect(done.status).toBe(303);
		const id = done.location?.match(/^\/teams\/([^?]+)\?done=created$/)?.[1];
		const team = (await admin("GET", `/teams/${id}`)).body;
		expect([team.name, team.members]).toEqual([name, ["ann@example.com", "bob@example.com"]]);
		expect((await view("/teams")).html).toContain(`<a href="/teams/${id}">${escaped(name)}</a>`);
	});

	it("show a refused creation again with why and what was typed", async () => {
		const name = unique("Taken");
		await admin("POST", "/teams", { name });
		const refused = await submit("/teams", { name: name.toUpperCase(), members: "x@example.com" });
		expect(refused.status).toBe(409);
		expect(refused.html).toContain("already exists");
		expect(refused.html).toContain("x@example.com</textarea>");
	});

	it("give a service a team from its edit page, shown on the service page", async () => {
		const team = (await admin("POST", "/teams", { name: unique("Owners") })).body;
		const service = await api.createService(unique("Owned"));
		expect((await view(`/services/${service.id}/edit`)).html).toContain(`<option value="${team.id}">`);
		const done = await submit(`/services/${service.id}/team`, { team_id: team.id });
		expect([done.status, done.location]).toEqual([303, `/services/${service.id}?done=team-changed`]);
		expect(await teamOf(service.id)).toEqual({ id: team.id, name: team.name });
		expect((await view(`/services/${service.id}`)).html).toContain(`<a href="/teams/${team.id}">`);
		await submit(`/services/${service.id}/team`, { team_id: "" });
		expect(await teamOf(service.id)).toBeNull();
	});

	it("show the team's delivery figures over its services' deploys", async () => {
		const team = (await admin("POST", "/teams", { name: unique("Shipping") })).body;
		const [a, b] = [unique("a"), unique("b")];
		for (const alias of [a, b]) {
			const service = await api.createService(alias, [alias]);
			await admin("PUT", `/services/${service.id}/team`, { team_id: team.id });
			const at = new Date(Date.now() - 86_400_000).toISOString();
			const res = await postDeploy(integration.webhook_url, examplePayload({ service: alias, deployed_at: at }));
			expect(res.status).toBe(202);
		}
		const page = await view(`/teams/${team.id}`);
		expect(page.status).toBe(200);
		const delivery = section(page.html, "Delivery");
		expect(delivery).toContain("Last 90 days, production.");
		expect(delivery).toContain("2 deploys");
	});

	it("delete a team only after a confirmation, leaving its services without a team", async () => {
		const team = (await admin("POST", "/teams", { name: unique("Doomed") })).body;
		const service = await api.createService(unique("Left"));
		await admin("PUT", `/services/${service.id}/team`, { team_id: team.id });
		const confirm = await view(`/teams/${team.id}/delete`);
		expect(confirm.html).toContain("Its service stays, with no team");
		expect(await teamOf(service.id)).toEqual({ id: team.id, name: team.name });
		const done = await submit(`/teams/${team.id}/delete`);
		expect([done.status, done.location]).toEqual([303, "/teams?done=deleted"]);
		expect(await teamOf(service.id)).toBeNull();
	});

	it("name each service's team on the services list, linked, and a dash for one without", async () => {
		const team = (await admin("POST", "/teams", { name: unique("Listed") })).body;
		const [owned, unowned] = [await api.createService(unique("Owned")), await api.createService(unique("Unowned"))];
		await admin("PUT", `/services/${owned.id}/team`, { team_id: team.id });
		const { html } = await view("/services");
		const teamCell = (name: string) => cells(rowOf(html, escaped(name)))[1];

		expect([teamCell(owned.name), teamCell(unowned.name)]).toEqual([team.name, "—"]);
		expect(rowOf(html, escaped(owned.name))).toContain(`<a href="/teams/${team.id}">`);
	});

	it("filter the services and deploys lists by team; an unknown team is a 404 page", async () => {
		const team = (await admin("POST", "/teams", { name: unique("Filtered") })).body;
		const [mine, other] = [await api.createService(unique("Mine")), await api.createService(unique("Other"))];
		await admin("PUT", `/services/${mine.id}/team`, { team_id: team.id });
		const list = await view(`/services?team=${team.id}`);
		expect(list.html).toContain(escaped(mine.name));
		expect(list.html).not.toContain(escaped(other.name));
		expect((await view(`/deploys?team=${team.id}`)).status).toBe(200);
		expect((await view("/services?team=nope")).status).toBe(404);
		expect((await view("/deploys?team=nope")).status).toBe(404);
	});
});
