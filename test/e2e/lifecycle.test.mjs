// Merging and archiving a service from its edit page, in a real Chromium
// against `wrangler dev`: each goes through its confirmation page, a merged
// service's page leads to the survivor, and deploys land where the change said.

import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { openBrowser, screenshot } from "./browser.mjs";
import { deploysOf, newIntegration, newService, sendDeploy } from "./pipelines.mjs";

const baseUrl = inject("baseUrl");
const adminToken = inject("adminToken");

describe("merging and archiving a service", () => {
	/** @type {Awaited<ReturnType<typeof openBrowser>>} */
	let browser;
	/** @type {{ id: string, webhookUrl: string }} */
	let integration;
	const suffix = randomUUID().slice(0, 8);
	/** @type {{ id: string, name: string }} */
	let survivor;
	/** @type {{ id: string, name: string }} */
	let merged;

	beforeAll(async () => {
		integration = await newIntegration();
		survivor = await newService(`api-${suffix}`);
		merged = await newService(`api-legacy-${suffix}`);
		for (let i = 0; i < 3; i++) expect(await sendDeploy(integration.webhookUrl, merged.name)).toBe("ok");
		browser = await openBrowser({ baseUrl });
		const { page } = browser;
		await page.goto(`/services/${merged.id}/edit`);
		await page.getByLabel("Admin token").fill(adminToken);
		await page.getByRole("button", { name: "Sign in" }).click();
		await page.waitForURL((url) => url.pathname === `/services/${merged.id}/edit`);
	});

	afterAll(async () => {
		await browser?.close();
	});

	it("merges after a confirmation: the old page leads to the survivor, and numbering carries on", async () => {
		const { page } = browser;
		await page.getByLabel("Merge into").selectOption(survivor.id);
		await page.getByRole("button", { name: "Merge…", exact: true }).click();
		await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe(
			`Merge ${merged.name} into ${survivor.name}?`,
		);
		await screenshot(page, "45-service-merge-confirm");
		await page.getByRole("button", { name: "Merge", exact: true }).click();
		await page.waitForURL((url) => url.pathname === `/services/${survivor.id}`);

		await page.goto(`/services/${merged.id}`);
		expect(new URL(page.url()).pathname).toBe(`/services/${survivor.id}`);

		expect(await sendDeploy(integration.webhookUrl, merged.name)).toBe("ok");
		const [latest] = await deploysOf(integration.id);
		expect([latest.service, latest.deploy_number]).toEqual([{ id: survivor.id, name: survivor.name }, "4"]);
		expect(browser.problems).toEqual([]);
	});

	it("archives after a confirmation: gone from the list, under the Archived tab, its deploys still recorded", async () => {
		const { page } = browser;
		await page.goto(`/services/${survivor.id}/edit`);
		await page.getByRole("button", { name: "Archive…", exact: true }).click();
		await page.getByRole("button", { name: "Archive", exact: true }).click();
		await page.waitForURL((url) => url.pathname === `/services/${survivor.id}`);
		await expect(page.getByText("This service is archived").count()).resolves.toBe(1);

		await page.goto("/services");
		await expect(page.getByRole("link", { name: survivor.name, exact: true }).count()).resolves.toBe(0);
		await page.getByRole("link", { name: "Archived", exact: true }).click();
		await expect(page.getByRole("link", { name: survivor.name, exact: true }).count()).resolves.toBe(1);
		await screenshot(page, "46-services-archived");

		expect(await sendDeploy(integration.webhookUrl, survivor.name)).toBe("ok");
		const [latest] = await deploysOf(integration.id);
		expect(latest.service).toEqual({ id: survivor.id, name: survivor.name });
		expect(browser.problems).toEqual([]);
	});
});
