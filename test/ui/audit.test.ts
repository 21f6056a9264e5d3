import { describe, expect, it } from "vitest";
import { acceptedDeploy, admin, api, unique } from "../helpers";
import { cells, escaped, rowOf, submit, view } from "./helpers";

describe("the audit log page", () => {
	it("lists changes newest first, with how they came in, escaping what was typed", async () => {
		const name = `<b>${unique("Audited")}</b>`;
		const created = await submit("/services", { name, aliases: "" });
		expect(created.status).toBe(303);
		const integration = (await admin("POST", "/integrations", { name: unique("api-made") })).body;
		const page = await view("/audit");
		const [first, second] = [page.html.indexOf("integration.create"), page.html.indexOf("service.create")];
		expect(first).toBeGreaterThan(-1);
		expect(second).toBeGreaterThan(first);
		expect(page.html).toContain(`href="/integrations/${integration.id}"`);
		expect(page.html).toContain("web UI");
		expect(page.html).toContain("API");
		expect(page.html).not.toContain(name);
		expect(page.html).toContain(escaped(name));
	});

	it("filters by action and pages through everything once", async () => {
		for (let i = 0; i < 55; i++) await admin("POST", "/integrations", { name: `paged-${i}` });
		const seen: string[] = [];
		let path: string | undefined = "/audit?action=integration.create";
		while (path) {
			const page = await view(path);
			expect(page.status).toBe(200);
			expect(page.html).not.toContain("service.create");
			seen.push(...[...page.html.matchAll(/href="\/integrations\/([0-9a-f-]{36})"/g)].map((m) => m[1] ?? ""));
			const older = /<a href="([^"]+)">Older »<\/a>/.exec(page.html)?.[1];
			path = older?.replaceAll("&amp;", "&");
		}
		expect(seen.length).toBeGreaterThanOrEqual(56);
		expect(new Set(seen).size).toBe(seen.length);
	});

	it("names an API token by its name and a member by their email, never a secret", async () => {
		const name = unique("Nightly report");
		const token = (await admin("POST", "/tokens", { name, role: "viewer" })).body;
		const email = `${unique("grace")}@example.com`;
		await admin("PUT", "/members", { email, role: "editor" });
		const { html } = await view("/audit");
		expect([rowOf(html, "api_token.create"), rowOf(html, "member.set")].map(cells).map((row) => row[2])).toEqual([
			`API token ${name}`,
			`Member ${email}`,
		]);
		expect(html).not.toContain(token.secret);
	});

	it("answers a bad cursor with a 400 page", async () => {
		expect((await view("/audit?cursor=nope")).status).toBe(400);
	});
});

/** The log's rows, newest first: the action, the target as text with its links, and the details as label and value. */
function rows(html: string) {
	const text = (cell = "") => cell.replace(/<[^>]+>/g, "").replaceAll("&quot;", '"');
	return html
		.split("<tr>")
		.slice(2)
		.map((row) => {
			const [, action, target, details] = [...row.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((m) => m[1] ?? "");
			return {
				action: text(action),
				target: text(target),
				links: [...(target ?? "").matchAll(/href="([^"]+)"/g)].map((m) => m[1]),
				details: [...(details ?? "").matchAll(/<dt>([^<]*)<\/dt><dd>([\s\S]*?)<\/dd>/g)].map((m) => [m[1], text(m[2])]),
			};
		});
}

describe("the audit log names what changed", () => {
	it("names teams by their name now, linked, and a deleted team by the name its events recorded", async () => {
		const kept = (await admin("POST", "/teams", { name: unique("Kept") })).body;
		const gone = (await admin("POST", "/teams", { name: unique("Gone") })).body;
		await admin("DELETE", `/teams/${gone.id}`);
		const renamed = unique("Renamed");
		await admin("PATCH", `/teams/${kept.id}`, { name: renamed });

		const newest = rows((await view("/audit")).html).slice(0, 4);
		expect(newest.map(({ action, target, links }) => ({ action, target, links }))).toEqual([
			{ action: "team.update", target: `Team ${renamed}`, links: [`/teams/${kept.id}`] },
			{ action: "team.delete", target: `Team ${gone.name}`, links: [] },
			{ action: "team.create", target: `Team ${gone.name}`, links: [] },
			{ action: "team.create", target: `Team ${renamed}`, links: [`/teams/${kept.id}`] },
		]);
	});

	it("names services, integrations (revoked ones too) and aliases, links them, and reads details as fields", async () => {
		const ci = await api.createIntegration(unique("Named CI"));
		const { body: service } = await admin("POST", "/services", {
			name: unique("Cart"),
			aliases: ["cart", "basket"].map(unique),
		});
		const renamed = unique("Checkout");
		await admin("PATCH", `/services/${service.id}`, { name: renamed });
		await admin("POST", `/integrations/${ci.id}/rotate`, { grace_seconds: 7 * 86_400 });
		await admin("DELETE", `/integrations/${ci.id}`);
		const [attached, ignored] = [unique("legacy"), unique("noise")];
		const live = await api.createIntegration(unique("Live CI"));
		for (const alias of [attached, ignored]) await acceptedDeploy(live.webhook_url, { service: alias });
		const { body: open } = await admin("GET", "/suggestions");
		const idOf = (alias: string) => open.suggestions.find((s: { alias: string }) => s.alias === alias).id;
		await admin("POST", `/suggestions/${idOf(attached)}/attach`, { service_id: service.id });
		await admin("POST", `/suggestions/${idOf(ignored)}/ignore`);

		expect(rows((await view("/audit")).html).slice(0, 7)).toEqual([
			{
				action: "suggestion.ignore",
				target: `Alias ${ignored} (ignored)`,
				links: ["/suggestions?state=ignored"],
				details: [],
			},
			{
				action: "suggestion.attach",
				target: `Alias ${attached} of ${renamed}`,
				links: [`/services/${service.id}`],
				details: [["Service", renamed]],
			},
			{
				action: "integration.create",
				target: `Integration ${live.name}`,
				links: [`/integrations/${live.id}`],
				details: [
					["Name", live.name],
					["Tool", "Deploy"],
				],
			},
			{ action: "integration.revoke", target: `Integration ${ci.name} (revoked)`, links: [], details: [] },
			{
				action: "integration.rotate",
				target: `Integration ${ci.name} (revoked)`,
				links: [],
				details: [["Old URL kept for", "7 days"]],
			},
			{
				action: "service.rename",
				target: `Service ${renamed}`,
				links: [`/services/${service.id}`],
				details: [
					["Old name", service.name],
					["New name", renamed],
				],
			},
			{
				action: "service.create",
				target: `Service ${renamed}`,
				links: [`/services/${service.id}`],
				details: [
					["Name", service.name],
					["Aliases", service.aliases.join(", ")],
				],
			},
		]);
	});
});
