// The API reference at /api/docs, in a real Chromium that can reach nothing
// but the Worker: it must render the operations from the Worker's own copy of
// its viewer, under its CSP, without a single violation or outside request.

import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { openBrowser, screenshot } from "./browser.mjs";

const baseUrl = inject("baseUrl");

describe("the API reference, offline", () => {
	/** @type {Awaited<ReturnType<typeof openBrowser>>} */
	let browser;
	/** Requests for anything but the Worker: refused, as if offline, and listed. */
	const outside = /** @type {string[]} */ ([]);

	beforeAll(async () => {
		browser = await openBrowser({ baseUrl });
		const origin = new URL(baseUrl).origin;
		await browser.context.route("**/*", (route) => {
			const url = route.request().url();
			if (url.startsWith("data:") || new URL(url).origin === origin) return route.continue();
			outside.push(url);
			return route.abort("internetdisconnected");
		});
	});

	afterAll(async () => {
		await browser?.close();
	});

	test("renders the operations with no CSP violation, script error or outside request", async () => {
		const { page, problems } = browser;

		const response = await page.goto("/api/docs");

		expect(response?.status()).toBe(200);
		// The document's title and operations, as headings the viewer rendered: the first tag's at once, others
		// when the sidebar leads there (it renders sections lazily).
		await page.getByRole("heading", { name: "Deploy tracker", level: 1 }).waitFor();
		await page.getByRole("heading", { name: "This OpenAPI document" }).waitFor();
		await page.getByRole("button", { name: "Open Group - Webhook" }).click();
		await page.getByRole("link", { name: /^Report a deploy \(OpsLevel/ }).click();
		await page.getByRole("heading", { name: "Report a deploy (OpsLevel Custom Deploy webhook)" }).waitFor();
		await screenshot(page, "api-reference");
		expect(problems).toEqual([]);
		expect(outside).toEqual([]);
	});

	test("its client sends requests to this origin itself, not through Scalar's proxy", async () => {
		const { page, problems } = browser;
		await page.getByRole("button", { name: /^Test Request.*get \/api\/openapi\.json/ }).click();
		const send = page.getByRole("button", { name: "Send get request to /api/openapi.json" }).first();

		const [response] = await Promise.all([
			page.waitForResponse((r) => new URL(r.url()).pathname === "/api/openapi.json"),
			send.click(),
		]);

		expect(response.status()).toBe(200);
		await screenshot(page, "api-reference-client");
		expect(problems).toEqual([]);
		expect(outside).toEqual([]);
	});

	test("is linked from the UI's pages", async () => {
		const { page } = browser;

		await page.goto("/login");
		await page.getByRole("link", { name: "API reference" }).click();

		await page.waitForURL((url) => url.pathname === "/api/docs");
	});
});
