import { describe, expect, it } from "vitest";
import { admin, api, deploysOf, examplePayload, integrationBeforeAll, ORIGIN, postDeploy, unique } from "../helpers";
import { browse, cells, form, page, rowOf, section, submit, view } from "./helpers";

const integration = integrationBeforeAll("incident pages");
const HOUR = 3_600_000;

/** A session signed in with a new API token of `role`: two cookies, the signed expiry and the token's id. */
async function sessionAs(role: string) {
	const token = await admin("POST", "/tokens", { name: unique(`${role} person`), role });
	const login = await browse("/login", {
		method: "POST",
		headers: { Origin: ORIGIN },
		body: form({ token: token.body.secret }),
	});
	return login.headers
		.getSetCookie()
		.map((c) => c.split(";")[0])
		.join("; ");
}

describe("incidents on the service page", () => {
	it("are opened from the form, listed with a Resolve button, resolved, and marked on the deploy they blame", async () => {
		const alias = unique("incident-page");
		const service = await api.createService(unique("Incident page"), [alias]);
		const deployedAt = new Date(Date.now() - 2 * HOUR).toISOString();
		await postDeploy(integration.webhook_url, examplePayload({ service: alias, deployed_at: deployedAt }));
		const [deploy] = await deploysOf(service.id);

		const title = unique("Checkout <b>errors</b>");
		const opened = await submit(`/services/${service.id}/incidents`, {
			title,
			environment: "",
			started_at: "",
			link: "",
		});
		expect(opened.status).toBe(303);
		expect(opened.location).toBe(`/services/${service.id}?done=incident-opened`);

		const shown = (await view(`/services/${service.id}`)).html;
		const row = cells(rowOf(section(shown, "Incidents"), "Checkout"));
		// Started, title (escaped, as typed), environment, the Resolve button, lasted, cause.
		expect(row.slice(1, 6)).toEqual([title, "production", "Resolve now", "Open", "latest deploy before it"]);
		// Its one deploy in 90 days is blamed: the incident-based failure rate beside the status-based one.
		expect(section(shown, "Delivery")).toContain(
			'<div class="label">Change failure rate, by incidents</div><div class="figure">100%</div>',
		);
		// The deploy an hour before is marked on the timeline, linked to the incident.
		const incidentId = /id="incident-([^"]+)"/.exec(shown)?.[1];
		expect(rowOf(section(shown, "Deploys"), deploy.id)).toContain(
			`href="/services/${service.id}#incident-${incidentId}"`,
		);

		// And on the deploy list's.
		const listed = (await view(`/deploys?service=${service.id}`)).html;
		expect(rowOf(listed, deploy.id)).toContain(`href="/services/${service.id}#incident-${incidentId}"`);

		const resolved = await submit(`/services/${service.id}/incidents/${incidentId}/resolve`);
		expect(resolved.location).toBe(`/services/${service.id}?done=incident-resolved`);
		const after = cells(rowOf(section((await view(`/services/${service.id}`)).html, "Incidents"), "Checkout"));
		expect(after[3]).toMatch(/UTC$/);
	});

	it("shows the form again with the reason for a bad one, opening nothing", async () => {
		const service = await api.createService(unique("Refused incident"), [unique("refused-incident")]);
		const refused = await submit(`/services/${service.id}/incidents`, {
			title: "Bad link",
			started_at: "",
			link: "javascript:alert(1)",
		});
		expect(refused.status).toBe(400);
		expect(refused.html).toContain("param must be an http or https URL: link");
		expect(refused.html).toContain('value="Bad link"');
		expect((await admin("GET", `/incidents?service=${service.id}`)).body.incidents).toEqual([]);
	});

	it("gives a viewer the list without the forms, and refuses a viewer's post", async () => {
		const service = await api.createService(unique("Viewed incidents"), [unique("viewed-incidents")]);
		await admin("POST", "/incidents", {
			service: service.id,
			title: "Seen",
			started_at: new Date(Date.now() - HOUR).toISOString(),
		});
		const viewer = await sessionAs("viewer");
		const html = await (await page(viewer, `/services/${service.id}`)).text();
		expect(cells(rowOf(section(html, "Incidents"), "Seen"))[3]).toBe("open");
		expect(html).not.toContain(`/services/${service.id}/incidents/new`);
		expect((await page(viewer, `/services/${service.id}/incidents`, { title: "Nope", started_at: "" })).status).toBe(
			403,
		);
	});
});
