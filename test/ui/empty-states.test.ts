import { describe, expect, it } from "vitest";
import { view } from "./helpers";

/** A page as the signed-in admin sees it, insisting on a 200. */
async function html(path: string): Promise<string> {
	const res = await view(path);
	expect(res.status, path).toBe(200);
	return res.html;
}

// Storage is per test file, and no test here writes anything: each page is the
// one a newcomer sees on an empty tracker, in whatever order the tests run.
describe("a newcomer's empty tracker", () => {
	it("the integrations page says what to do first", async () => {
		const page = await html("/integrations");
		expect(page).toContain("No integrations yet");
		expect(page).toContain('href="/integrations/new"');
	});

	it("the service list says what to do while there are no services", async () => {
		const page = await html("/services");
		expect(page).toContain("No services yet");
		expect(page).toContain('href="/integrations/new"');
		expect(page).toContain('href="/services/new"');
	});

	it("the deploy list says there are none yet and how to send one", async () => {
		const page = await html("/deploys");
		expect(page).toContain("No deploys yet");
		expect(page).toContain('href="/integrations/new"');
		expect(page).toContain("curl -X POST");
		expect(page).not.toContain("No deploys match these filters");
	});

	it("the suggestions page says what shows up there", async () => {
		const open = await html("/suggestions");
		expect(open).toContain("No suggestions");
		expect(open).toContain("Deploys whose service alias no service claims show up here");
		expect(await html("/suggestions?state=ignored")).toContain("No ignored suggestions");
	});

	it("the audit log says what is recorded before anything is", async () => {
		expect(await html("/audit")).toContain("No changes yet");
	});
});
