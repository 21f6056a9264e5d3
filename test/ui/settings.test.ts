import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { DAY } from "../../src/http/datetime";
import { acceptedDeploy, admin, api, integrationBeforeAll, ORIGIN, unique } from "../helpers";
import { browse, cells, form, page, rowOf, section, submit, view } from "./helpers";

const integration = integrationBeforeAll("settings pages");
const NOW = Date.now();
const DEFAULT = ["production", "prod"];

const production = async () => (await admin("GET", "/settings")).body.production_environments;

// The file's tests share one database: each starts from the default.
afterEach(async () => {
	await env.DB.prepare("delete from settings").run();
});

describe("a production setting of the team's own", () => {
	let svc: { id: string; name: string };
	beforeAll(async () => {
		const alias = unique("live-svc");
		svc = await api.createService(unique("Live Service"), [alias]);
		const deploy = (environment: string, days: number, number: string) =>
			acceptedDeploy(integration.webhook_url, {
				service: alias,
				environment,
				deployed_at: new Date(NOW - days * DAY).toISOString(),
				deploy_number: number,
			});
		await deploy("Production", 4, "1");
		await deploy("LIVE", 3, "2");
		await deploy("LIVE", 2, "3");
		await deploy("staging", 1, "4");
	});

	/** The service's row on the services list: [production deploy's number, deploys in 30 days]. */
	const listed = async () => {
		const row = cells(rowOf((await view("/services")).html, `href="/services/${svc.id}"`));
		return [row[3], row[5]];
	};
	const delivery = async () => section((await view(`/services/${svc.id}`)).html, "Delivery");

	it("is production and prod until it is set", async () => {
		expect(await listed()).toEqual(["1", "4"]);
		expect((await view("/services")).html).toContain("the environments named production, prod (any letter case)");
		const figures = await delivery();
		expect(figures).toContain("Last 90 days, Production.");
		expect(figures).toContain(">1 deploy<");
	});

	it("changes the services list's column, and the environment and figures a service page shows by default", async () => {
		// Typed in other cases than the deploys were sent with: compared as keys.
		const saved = await submit("/settings", { production_environments: " Live \nPRD, live" });
		expect(saved).toMatchObject({ status: 303, location: "/settings?done=saved" });
		expect(await production()).toEqual(["live", "prd"]);

		expect(await listed()).toEqual(["3", "4"]);
		expect((await view("/services")).html).toContain("the environments named live, prd (any letter case)");
		const figures = await delivery();
		expect(figures).toContain("Last 90 days, LIVE.");
		expect(figures).toContain(">2 deploys<");
		// Production is an environment like any other now, still there to choose.
		expect(section((await view(`/services/${svc.id}?environment=production`)).html, "Delivery")).toContain(
			"Last 90 days, Production.",
		);
	});
});

describe("hostile names", () => {
	it("are only text: escaped on every page that shows them, bound (not spliced) into the services list's SQL", async () => {
		const names = ["<script>alert(1)</script>", "x') or 1=1 --", '"><img src=x onerror=alert(1)>'];
		expect((await admin("PUT", "/settings", { production_environments: names })).status).toBe(200);
		const alias = unique("hostile");
		const svc = await api.createService(unique("Hostile"), [alias]);
		await acceptedDeploy(integration.webhook_url, { service: alias, environment: "production" });
		for (const path of ["/settings", "/services", `/services/${svc.id}`]) {
			const shown = await view(path);
			expect(shown.status, path).toBe(200);
			expect(shown.html, path).not.toContain("<script>alert");
			expect(shown.html, path).not.toContain("<img src=x");
		}
		// No name matched the deploy's environment, whatever the quotes tried.
		const row = cells(rowOf((await view("/services")).html, `href="/services/${svc.id}"`));
		expect(row[2]).toEqual("Not deployed");
		expect((await view("/settings")).html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
	});
});

describe("the settings page", () => {
	it("shows the setting to admins with a form holding it, and confirms a save", async () => {
		const before = await view("/settings");
		expect(before.status).toBe(200);
		expect(before.html).toContain("These are the defaults.");
		expect(before.html).toMatch(/<textarea name="production_environments"[^>]*>production\nprod<\/textarea>/);
		await submit("/settings", { production_environments: "live" });
		const after = await view("/settings?done=saved");
		expect(after.html).toContain("The production environments were saved");
		expect(after.html).toContain("<code>live</code>");
		expect(after.html).toContain("Last changed");
		const audit = (await view("/audit")).html;
		expect(audit).toContain('<a href="/settings">Settings</a> <span class="mono">production_environments</span>');
		expect(audit).toContain("settings.production");
	});

	it.each([
		["nothing", "  \n , ", "param must name at least one environment: production_environments"],
		["21 names", Array.from({ length: 21 }, (_, i) => `env${i}`).join("\n"), "more than 20 environments"],
		["a name too long", "p".repeat(256), "param is longer than 255 characters: production_environments.0"],
	])("refuses %s with a 400 that keeps what was typed, and saves nothing", async (_, typed, detail) => {
		const refused = await submit("/settings", { production_environments: typed });
		expect(refused.status).toBe(400);
		expect(refused.html).toContain('<div class="error" role="alert">');
		expect(refused.html).toContain(detail);
		expect(refused.html).toContain(`>${typed}</textarea>`);
		expect(await production()).toEqual(DEFAULT);
	});

	it("is in every signed-in person's nav; a viewer reads it but gets no form, and cannot post one", async () => {
		const token = await admin("POST", "/tokens", { name: unique("viewer"), role: "viewer" });
		// An API token's session is two cookies: the signed expiry and the token's id.
		const login = await browse("/login", {
			method: "POST",
			headers: { Origin: ORIGIN },
			body: form({ token: token.body.secret }),
		});
		const viewer = login.headers
			.getSetCookie()
			.map((c) => c.split(";")[0])
			.join("; ");
		const read = await page(viewer, "/settings");
		const html = await read.text();
		expect(read.status).toBe(200);
		expect(html).toContain('<a href="/settings" class="current">Settings</a>');
		expect(html).toContain("<code>production</code>");
		expect(html).not.toContain('<form method="post" action="/settings"');
		expect(html).toContain("Only admins can change settings.");
		expect((await page(viewer, "/settings", { production_environments: "live" })).status).toBe(403);
		expect(await production()).toEqual(DEFAULT);
	});
});
