// Moving and removing an alias from the service edit page, in a real Chromium
// against `wrangler dev`: each goes through its confirmation page, and the
// next deploy under the alias lands where the change said.

import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { openBrowser, screenshot } from "./browser.mjs";
import { deploysOf, newIntegration, newService, sendDeploy } from "./pipelines.mjs";

const baseUrl = inject("baseUrl");
const adminToken = inject("adminToken");

/**
 * The edit page's row for one alias (its select lists other services' names, so match the alias itself).
 * @param {import("playwright-core").Page} page
 * @param {string} alias
 */
const aliasRow = (page, alias) => page.getByRole("listitem").filter({ has: page.getByText(alias, { exact: true }) });

describe("moving and removing an alias", () => {
	/** @type {Awaited<ReturnType<typeof openBrowser>>} */
	let browser;
	/** @type {{ id: string, webhookUrl: string }} */
	let integration;
	const suffix = randomUUID().slice(0, 8);
	const [moving, removed] = [`checkout-${suffix}`, `typo-${suffix}`];
	/** @type {{ id: string, name: string }} */
	let from;
	/** @type {{ id: string, name: string }} */
	let to;

	beforeAll(async () => {
		integration = await newIntegration();
		from = await newService(`Shop ${suffix}`, [moving, removed]);
		to = await newService(`Checkout ${suffix}`, [`payments-${suffix}`]);
		browser = await openBrowser({ baseUrl });
		const { page } = browser;
		await page.goto(`/services/${from.id}/edit`);
		await page.getByLabel("Admin token").fill(adminToken);
		await page.getByRole("button", { name: "Sign in" }).click();
		await page.waitForURL((url) => url.pathname === `/services/${from.id}/edit`);
	});

	afterAll(async () => {
		await browser?.close();
	});

	it("moves an alias after a confirmation, and the next deploy belongs to the new service", async () => {
		const { page } = browser;
		const row = aliasRow(page, moving);
		await row.getByLabel("Move to").selectOption(to.id);
		await row.getByRole("button", { name: "Move…", exact: true }).click();
		await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe(
			`Move alias ${moving} to ${to.name}?`,
		);
		await screenshot(page, "40-alias-move-confirm");
		await page.getByRole("button", { name: "Move alias" }).click();
		await page.waitForURL((url) => url.pathname === `/services/${to.id}`);

		expect(await sendDeploy(integration.webhookUrl, moving)).toBe("ok");
		const [latest] = await deploysOf(integration.id);
		expect(latest.service).toEqual({ id: to.id, name: to.name });
		expect(browser.problems).toEqual([]);
	});

	it("removes an alias after a confirmation, and the next deploy under it matches nobody", async () => {
		const { page } = browser;
		await page.goto(`/services/${from.id}/edit`);
		await aliasRow(page, removed).getByRole("button", { name: "Remove…", exact: true }).click();
		await page.getByRole("button", { name: "Remove alias" }).click();
		await page.waitForURL((url) => url.pathname === `/services/${from.id}`);

		expect(await sendDeploy(integration.webhookUrl, removed)).toBe("no_service_found");
		expect(browser.problems).toEqual([]);
	});
});
