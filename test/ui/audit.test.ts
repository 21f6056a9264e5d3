import { describe, expect, it } from "vitest";
import { admin, unique } from "../helpers";
import { escaped, submit, view } from "./helpers";

describe("the audit log page", () => {
	it("says what is recorded before anything is", async () => {
		const page = await view("/audit");
		expect(page.status).toBe(200);
		expect(page.html).toContain("No changes yet");
	});

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
		expect(page.html).toContain(escaped(JSON.stringify(name)).slice(0, 20));
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

	it("answers a bad cursor with a 400 page", async () => {
		expect((await view("/audit?cursor=nope")).status).toBe(400);
	});
});
