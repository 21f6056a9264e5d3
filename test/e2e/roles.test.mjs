// Roles in a real Chromium against `wrangler dev`: a viewer, an editor and an
// admin each sign in (with an API token of their role: no Cloudflare Access
// runs locally) and see what they may do, and nothing more; a viewer's forged
// form post is refused with nothing changed.

import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { openBrowser, screenshot } from "./browser.mjs";
import { api, newIntegration } from "./pipelines.mjs";

const baseUrl = inject("baseUrl");

/** @typedef {"viewer" | "editor" | "admin"} Role */
/** @typedef {Awaited<ReturnType<typeof openBrowser>>} Browser */

/**
 * A browser signed in with a fresh API token of `role`.
 * @param {Role} role
 * @returns {Promise<Browser>}
 */
async function signedInAs(role) {
	const { status, body } = await api("POST", "/tokens", { name: `${role} ${randomUUID()}`, role });
	expect(status).toBe(201);
	const browser = await openBrowser({ baseUrl });
	await browser.page.goto("/services");
	await browser.page.getByLabel("Admin token").fill(body.secret);
	await browser.page.getByRole("button", { name: "Sign in" }).click();
	await browser.page.waitForURL((url) => url.pathname === "/services");
	return browser;
}

/**
 * What `page` offers on `path`: the labels of its links and buttons named in `wanted`.
 * @param {import("playwright-core").Page} page
 * @param {string} path
 * @param {string[]} wanted
 */
async function offered(page, path, wanted) {
	await page.goto(path);
	const shown = [];
	for (const name of wanted) {
		const link = page.getByRole("link", { name, exact: true });
		const button = page.getByRole("button", { name, exact: true });
		if ((await link.count()) + (await button.count()) > 0) shown.push(name);
	}
	return shown;
}

describe("what each role sees and may do", () => {
	/** @type {Record<Role, Browser>} */
	const browsers = /** @type {any} */ ({});
	/** @type {{ id: string, webhookUrl: string }} */
	let integration;
	/** @type {string} */
	let serviceId;

	beforeAll(async () => {
		integration = await newIntegration("deploy");
		serviceId = (await api("POST", "/services", { name: `Roles ${randomUUID()}` })).body.id;
		for (const role of /** @type {Role[]} */ (["viewer", "editor", "admin"])) browsers[role] = await signedInAs(role);
	});

	afterAll(async () => {
		for (const browser of Object.values(browsers)) await browser?.close();
	});

	it("the header says who is signed in and as what", async () => {
		const roles = [];
		for (const [role, { page }] of Object.entries(browsers)) {
			await page.goto("/services");
			roles.push([role, (await page.locator("header .who .role").textContent())?.trim()]);
		}
		expect(roles).toEqual([
			["viewer", "viewer"],
			["editor", "editor"],
			["admin", "admin"],
		]);
	});

	it("offers each role only its actions", async () => {
		const actions = ["New service", "Edit", "New integration", "Rotate URL…", "Revoke…"];
		/** @type {Record<string, string[]>} */
		const seen = {};
		for (const [role, { page }] of Object.entries(browsers)) {
			seen[role] = [
				...(await offered(page, "/services", actions)),
				...(await offered(page, `/services/${serviceId}`, actions)),
				...(await offered(page, "/integrations", actions)),
				...(await offered(page, `/integrations/${integration.id}`, actions)),
			];
		}
		expect(seen).toEqual({
			viewer: [],
			editor: ["New service", "Edit"],
			admin: ["New service", "Edit", "New integration", "Rotate URL…", "Revoke…"],
		});
		await screenshot(browsers.viewer.page, "50-integration-as-viewer");
	});

	it("shows the webhook URL to admins only", async () => {
		const secret = integration.webhookUrl.split("/").at(-1) ?? "";
		/** @type {Record<string, boolean>} */
		const pages = {};
		for (const [role, { page }] of Object.entries(browsers)) {
			await page.goto(`/integrations/${integration.id}`);
			pages[role] = (await page.content()).includes(secret);
		}
		expect(pages).toEqual({ viewer: false, editor: false, admin: true });
	});

	it("refuses a viewer's forged form post with a page that says why, and changes nothing", async () => {
		const { page } = browsers.viewer;
		const name = `Forged ${randomUUID()}`;
		await page.goto("/services");
		// What a tampered page would send: the form the viewer was never offered.
		const status = await page.evaluate(async (name) => {
			const body = new URLSearchParams({ name, aliases: "" });
			return (await fetch("/services", { method: "POST", body, redirect: "manual" })).status;
		}, name);
		expect(status).toBe(403);
		const services = (await api("GET", "/services")).body.services.map((/** @type {{ name: string }} */ s) => s.name);
		expect(services).not.toContain(name);
	});
});
