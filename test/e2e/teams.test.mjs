// Owning teams in a real Chromium against `wrangler dev`: create a team on the
// Teams page, give it a service from the service's edit page, and read the
// team's delivery figures on its page.

import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { openBrowser, screenshot } from "./browser.mjs";
import { api, newIntegration } from "./pipelines.mjs";

const baseUrl = inject("baseUrl");
const adminToken = inject("adminToken");

describe("owning teams", () => {
	/** @type {Awaited<ReturnType<typeof openBrowser>>} */
	let browser;
	const suffix = randomUUID().slice(0, 8);
	const [alias, teamName] = [`ledger-${suffix}`, `Finance ${suffix}`];
	/** @type {{ id: string, name: string }} */
	let service;

	beforeAll(async () => {
		const integration = await newIntegration();
		const created = await api("POST", "/services", { name: `Ledger ${suffix}`, aliases: [alias] });
		service = created.body;
		// Three production deploys in the last weeks, one of them failed.
		for (const [i, status] of ["success", "failure", "success"].entries()) {
			const body = {
				service: alias,
				description: `Deploy ${i}`,
				environment: "production",
				status,
				deployed_at: new Date(Date.now() - (i + 1) * 86_400_000).toISOString(),
				deployer: { email: "dev@example.com" },
			};
			const response = await fetch(integration.webhookUrl, { method: "POST", body: JSON.stringify(body) });
			expect(response.status).toBe(202);
		}
		browser = await openBrowser({ baseUrl });
		const { page } = browser;
		await page.goto("/teams");
		await page.getByLabel("Admin token").fill(adminToken);
		await page.getByRole("button", { name: "Sign in" }).click();
		await page.waitForURL((url) => url.pathname === "/teams");
	});

	afterAll(async () => {
		await browser?.close();
	});

	it("creates a team, gives it a service, and shows the team's figures", async () => {
		const { page } = browser;
		await page.getByLabel("Name").fill(teamName);
		await page.getByLabel("Members").fill("Ann@Example.com");
		await page.getByRole("button", { name: "Create team" }).click();
		await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe(teamName);
		const teamUrl = new URL(page.url()).pathname;

		await page.goto(`/services/${service.id}/edit`);
		await page.getByLabel("Team").selectOption({ label: teamName });
		await page.getByRole("button", { name: "Save team" }).click();
		await page.waitForURL((url) => url.pathname === `/services/${service.id}`);
		await page.getByRole("link", { name: teamName }).click();
		await page.waitForURL((url) => url.pathname === teamUrl);

		await expect(page.getByText("ann@example.com").count()).resolves.toBe(1);
		await expect(page.getByRole("link", { name: service.name }).count()).resolves.toBe(1);
		const frequency = page.locator(".card").filter({ hasText: "Deployment frequency" });
		await expect(frequency.textContent()).resolves.toContain("3 deploys");
		// The status-based card, not the incident-based one beside it.
		const failures = page
			.locator(".card")
			.filter({ has: page.locator(".label", { hasText: /^Change failure rate$/ }) });
		await expect(failures.locator(".figure").textContent()).resolves.toBe("33%");
		await screenshot(page, "45-team-page");
	});
});
