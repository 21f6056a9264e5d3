// An integration's health and its test deploy, in a real Chromium against
// `wrangler dev`: the list's arrival figures, "Send a test deploy" (a plain
// form, tried without JavaScript too), and the page's order before and after
// the first deploy. Screenshots at desktop width and at 390 px, a phone's.

import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { openBrowser, screenshot } from "./browser.mjs";
import { deploysOf, newIntegration } from "./pipelines.mjs";

const baseUrl = inject("baseUrl");
const adminToken = inject("adminToken");

/** A phone's width, for the narrow screenshots. */
const PHONE = { width: 390, height: 844 };

/** @typedef {import("playwright-core").Page} Page */

/**
 * Signs `page` in with the admin token, landing on `path`.
 * @param {Page} page
 * @param {string} path
 */
async function signIn(page, path) {
	await page.goto(path);
	await page.getByLabel("Admin token").fill(adminToken);
	await page.getByRole("button", { name: "Sign in" }).click();
	await page.waitForURL((url) => url.pathname === path);
}

/**
 * A full-page screenshot at desktop width, then at a phone's.
 * @param {Page} page
 * @param {string} name
 */
async function bothWidths(page, name) {
	const desktop = page.viewportSize();
	await screenshot(page, name);
	await page.setViewportSize(PHONE);
	try {
		await screenshot(page, `${name}-390`);
		// Nothing wider than the phone: a table may scroll inside its own box, the page may not.
		await expect(page.evaluate(() => document.documentElement.scrollWidth)).resolves.toBeLessThanOrEqual(PHONE.width);
	} finally {
		if (desktop) await page.setViewportSize(desktop);
	}
}

/**
 * Clicks "Send a test deploy" for `service` and answers the text the page then shows.
 * @param {Page} page
 * @param {string} service
 */
async function sendTestDeploy(page, service) {
	await page.getByLabel("Service", { exact: true }).fill(service);
	await page.getByRole("button", { name: "Send a test deploy" }).click();
	await page.waitForURL((url) => url.pathname.endsWith("/test"));
	return (await page.getByRole("status").textContent())?.replace(/\s+/g, " ").trim();
}

describe("an integration's health and test deploy", () => {
	/** @type {Awaited<ReturnType<typeof openBrowser>>} */
	let browser;
	/** @type {{ id: string, webhookUrl: string }} */
	let integration;

	beforeAll(async () => {
		integration = await newIntegration("gitlab_ci");
		browser = await openBrowser({ baseUrl });
		await signIn(browser.page, `/integrations/${integration.id}`);
	});

	afterAll(async () => {
		await browser?.close();
	});

	it("a new integration's page leads with its setup, open, and its test deploy records nothing", async () => {
		const { page } = browser;
		await expect(page.locator("details.setup").getAttribute("open")).resolves.toBe("");
		await expect(page.locator("pre#snippet").isVisible()).resolves.toBe(true);

		const answer = await sendTestDeploy(page, "web-shop");

		expect(answer).toMatch(/^The URL is live, but no service has the alias web-shop yet: .* Nothing was recorded\./);
		expect(answer).toContain('200 { "result": "no_service_found", "dry_run": true,');
		expect(await deploysOf(integration.id)).toEqual([]);
		await bothWidths(page, "30-integration-test-deploy");
		expect(browser.problems).toEqual([]);
	});

	it("once deploys arrive, the page leads with them and folds the setup away", async () => {
		const { page } = browser;
		const response = await fetch(integration.webhookUrl, {
			method: "POST",
			body: JSON.stringify({
				service: "web-shop",
				description: "Deployed web-shop",
				deployed_at: new Date().toISOString(),
				environment: "production",
				status: "success",
				deployer: { email: "dev@example.com", name: "Dev" },
			}),
		});
		expect(response.status).toBe(202);

		await page.goto(`/integrations/${integration.id}`);
		const top = await page.locator("h2").first().textContent();
		expect(top).toBe("Latest deploys");
		await expect(page.locator("details.setup").getAttribute("open")).resolves.toBe(null);
		await expect(page.locator("pre#snippet").isVisible()).resolves.toBe(false);
		// The test deploy now offers the alias the pipeline uses.
		await expect(page.getByLabel("Service", { exact: true }).inputValue()).resolves.toBe("web-shop");
		await bothWidths(page, "31-integration-with-deploys");

		await page.locator("details.setup > summary").click();
		await expect(page.locator("pre#snippet").isVisible()).resolves.toBe(true);
		expect(browser.problems).toEqual([]);
	});

	it("the list shows when each endpoint last received a deploy and how many", async () => {
		const { page } = browser;
		await page.goto("/integrations");
		const cells = await page
			.getByRole("row")
			.filter({ has: page.locator(`a[href="/integrations/${integration.id}"]`) })
			.locator("td")
			.allTextContents();
		expect(cells.slice(1, 5).map((c) => c.trim())).toEqual([
			"GitLab CI",
			expect.stringMatching(/ago$|^just now$/),
			"1",
			"1",
		]);
		await bothWidths(page, "32-integrations-activity");
		expect(browser.problems).toEqual([]);
	});
});

describe("a test deploy without JavaScript", () => {
	it("is a plain form: the answer comes back as a page", async () => {
		const { id } = await newIntegration();
		const browser = await openBrowser({ baseUrl, javaScriptEnabled: false });
		try {
			await signIn(browser.page, `/integrations/${id}`);
			const answer = await sendTestDeploy(browser.page, "no-js");
			expect(answer).toMatch(/^The URL is live, but no service has the alias no-js yet/);
			expect(await deploysOf(id)).toEqual([]);
		} finally {
			await browser.close();
		}
	});
});
