// The first week, in a real browser at desktop width and at 390 px: a deploy
// list that says how many deploys its filters select, clears them and downloads
// them; a suggestion accepted with a confirmation; DORA cards that say what
// they count, how they moved and their band; an audit log that names what
// changed. Screenshots of each land in test/e2e/screenshots/ (first-week-*).

import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { openBrowser, screenshot } from "./browser.mjs";
import { api } from "./pipelines.mjs";

const baseUrl = inject("baseUrl");
const adminToken = inject("adminToken");
const HOUR = 3_600_000;
const ALIAS = `first-week-${randomUUID().slice(0, 8)}`;
const SIZES = /** @type {const} */ ([
	["desktop", { width: 1100, height: 800 }],
	["390", { width: 390, height: 844 }],
]);

/** @type {Awaited<ReturnType<typeof openBrowser>>} */
let browser;
/** @type {import("playwright-core").Page} */
let page;
/** The service accepting the suggestion makes; the later steps look at it. */
let servicePath = "";

/**
 * Reports a production deploy of ALIAS `hoursAgo` hours back, its commit written 3 hours earlier.
 * @param {string} webhookUrl
 * @param {{ hoursAgo: number, status: string, description: string }} deploy
 */
async function report(webhookUrl, { hoursAgo, status, description }) {
	const deployedAt = Date.now() - hoursAgo * HOUR;
	const response = await fetch(webhookUrl, {
		method: "POST",
		body: JSON.stringify({
			service: ALIAS,
			environment: "production",
			status,
			description,
			deployed_at: new Date(deployedAt).toISOString(),
			deployer: { email: "pam@example.com" },
			commit: { sha: randomUUID().replaceAll("-", ""), authoring_date: new Date(deployedAt - 3 * HOUR).toISOString() },
		}),
	});
	expect(response.status).toBe(202);
}

beforeAll(async () => {
	const integration = (await api("POST", "/integrations", { name: "First week" })).body;
	await report(integration.webhook_url, {
		hoursAgo: 30,
		status: "success",
		description: "Ship the cart\nwith details",
	});
	await report(integration.webhook_url, { hoursAgo: 6, status: "failure", description: "Break the cart" });
	await report(integration.webhook_url, { hoursAgo: 5, status: "success", description: "Mend the cart" });
	browser = await openBrowser({ baseUrl });
	page = browser.page;
	await page.goto("/login");
	await page.getByLabel("Admin token").fill(adminToken);
	await page.getByRole("button", { name: "Sign in" }).click();
	await page.waitForURL((url) => url.pathname !== "/login");
});

afterAll(async () => {
	await browser?.close();
});

/** The text of the first element `selector` finds, its white space folded. */
const textOf = async (/** @type {string} */ selector) =>
	((await page.locator(selector).first().textContent()) ?? "").replace(/\s+/g, " ").trim();

/** Each size in turn: the page at `path`, screenshotted as first-week-<name>-<size>. */
async function atEachSize(/** @type {string} */ path, /** @type {string} */ name, check = async () => {}) {
	for (const [size, viewport] of SIZES) {
		await page.setViewportSize(viewport);
		await page.goto(path);
		await check();
		await screenshot(page, `first-week-${name}-${size}`);
	}
}

describe("a team's first week", () => {
	test("accepting a suggestion lands on the new service with a confirmation", async () => {
		await page.goto("/suggestions");
		const row = page.locator("tr", { hasText: ALIAS });
		await row.getByRole("button", { name: "Create service" }).click();
		await page.waitForURL(/\/services\/[0-9a-f-]{36}\?done=accepted$/);
		await expect(page.getByRole("status").textContent()).resolves.toContain("The service was created");
		servicePath = new URL(page.url()).pathname;
	});

	test("the deploy list shows descriptions and its count, clears its filters and downloads them as CSV", async () => {
		const filtered = `/deploys?service=${ALIAS}&status=success`;
		await atEachSize(filtered, "deploys", async () => {
			await expect(textOf(".list-summary")).resolves.toBe(
				"2 deploys match these filters · Clear filters · Download CSV",
			);
			// Each row's description, its first line only.
			const descriptions = await page.locator("main table td.description").allTextContents();
			expect(descriptions.map((d) => d.trim())).toEqual(["Mend the cart", "Ship the cart"]);
		});

		const [download] = await Promise.all([
			page.waitForEvent("download"),
			page.getByRole("link", { name: "Download CSV" }).click(),
		]);
		const csv = await readFile((await download.path()) ?? "", "utf8");
		// The filters' two successes, not the failure (a description may hold a line break, so no line counting).
		const parts = ["id,", "Mend the cart", "Ship the cart\nwith details", "Break the cart"];
		expect(parts.map((part) => csv.includes(part))).toEqual([true, true, true, false]);

		await page.getByRole("link", { name: "Clear filters" }).click();
		await page.waitForURL((url) => url.pathname === "/deploys" && url.search === "");
		await expect(textOf(".list-summary")).resolves.not.toContain("Clear filters");
	});

	test("the DORA cards say what they count, how they moved, and their band; the charts mark this week as partial", async () => {
		await atEachSize(servicePath, "service", async () => {
			const cards = await page.locator(".card").evaluateAll((nodes) =>
				nodes.map((card) => ({
					label: card.querySelector(".label")?.textContent?.trim(),
					change: Boolean(card.querySelector(".change")?.textContent?.trim()),
					band: card.querySelector(".band")?.textContent?.trim().startsWith("DORA band:"),
					explained: Boolean(card.querySelector(".explain")?.textContent?.trim()),
				})),
			);
			expect(cards).toEqual(
				[
					"Deployment frequency",
					"Lead time for changes (median)",
					"Change failure rate",
					"Time to restore (median)",
					"Change failure rate, by incidents",
					"Time to restore, by incidents (median)",
				].map((label) => ({ label, change: true, band: true, explained: true })),
			);
			await expect(textOf(".chart-legend")).resolves.toContain("this week, so far");
		});
	});

	test("the audit log names the service it changed and links to it", async () => {
		await atEachSize("/audit", "audit", async () => {
			// The newest event: accepting the suggestion, which made the service.
			const first = page.locator("main table tbody tr").first();
			await expect(first.textContent()).resolves.toContain(ALIAS);
			await expect(first.getByRole("link", { name: ALIAS }).first().getAttribute("href")).resolves.toBe(servicePath);
		});
	});

	test("no page logged an error or a CSP violation", () => {
		expect(browser.problems).toEqual([]);
	});
});
