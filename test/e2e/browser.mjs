// Chromium for the browser suite: the system's build (Debian's `chromium`),
// driven by playwright-core, each context on a fresh profile directory that
// is removed when it closes.

import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

/** Where Chromium is; E2E_CHROMIUM overrides it (e.g. a Chrome elsewhere). */
export const CHROMIUM = process.env.E2E_CHROMIUM || "/usr/bin/chromium";

/** Full-page screenshots of every main page, for a human to look at (git-ignored). */
export const SCREENSHOTS = fileURLToPath(new URL("screenshots/", import.meta.url));

/** The README's pictures: rewritten only when asked (UPDATE_DOCS_SCREENSHOTS=1), so a run leaves the tree clean. */
export const DOCS = fileURLToPath(new URL("../../docs/", import.meta.url));
export const UPDATE_DOCS = process.env.UPDATE_DOCS_SCREENSHOTS === "1";

const ARGS = [
	"--headless",
	"--no-sandbox",
	"--disable-gpu",
	"--disable-background-networking",
	"--disable-component-update",
	"--disable-sync",
];

/**
 * Requests that may fail without anything being wrong: the browser asks for
 * /favicon.ico on its own, and the UI has none.
 * @param {string} url
 */
const ignored = (url) => new URL(url).pathname === "/favicon.ico";

/** How long a single action or expectation may wait: pages here answer in milliseconds. */
const ACTION_TIMEOUT_MS = 10_000;

/**
 * A browser context on a brand-new profile, its first page, and what the
 * pages reported on the console (CSP violations and script errors show up there).
 * `bypassCSP` lets a test add its own script to the pages (axe-core), which their CSP would refuse.
 * @param {{ baseUrl: string, javaScriptEnabled?: boolean, bypassCSP?: boolean }} options
 */
export async function openBrowser({ baseUrl, javaScriptEnabled = true, bypassCSP = false }) {
	if (!existsSync(CHROMIUM)) {
		throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium (or set E2E_CHROMIUM)`);
	}
	const profile = await mkdtemp(join(tmpdir(), "deploy-tracker-e2e-profile-"));
	try {
		const context = await chromium.launchPersistentContext(profile, {
			executablePath: CHROMIUM,
			args: ARGS,
			baseURL: baseUrl,
			javaScriptEnabled,
			bypassCSP,
			viewport: { width: 1100, height: 800 },
			locale: "en-US",
			timezoneId: "UTC",
			colorScheme: "light",
		});
		context.setDefaultTimeout(ACTION_TIMEOUT_MS);
		/** @type {string[]} */
		const problems = [];
		const watch = (/** @type {import("playwright-core").Page} */ page) => {
			page.on("console", (message) => {
				// HTTP errors are judged below, by what was requested.
				if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) {
					problems.push(`console: ${message.text()} (${page.url()})`);
				}
			});
			// A page's own status is the test's business (a refused form answers 4xx); what it loads must be there.
			page.on("response", (response) => {
				const request = response.request();
				if (response.status() >= 400 && !request.isNavigationRequest() && !ignored(request.url())) {
					problems.push(`${response.status()} for ${request.url()} (${page.url()})`);
				}
			});
			page.on("pageerror", (error) => problems.push(`page error: ${error.message} (${page.url()})`));
		};
		context.pages().forEach(watch);
		context.on("page", watch);
		const page = context.pages()[0] ?? (await context.newPage());
		return {
			context,
			page,
			problems,
			async close() {
				await context.close().catch(() => {});
				await rm(profile, { recursive: true, force: true, maxRetries: 3 });
			},
		};
	} catch (error) {
		await rm(profile, { recursive: true, force: true, maxRetries: 3 });
		throw error;
	}
}

/**
 * A full-page screenshot into test/e2e/screenshots/<name>.png.
 * @param {import("playwright-core").Page} page
 * @param {string} name
 */
export async function screenshot(page, name) {
	await mkdir(SCREENSHOTS, { recursive: true });
	await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true, animations: "disabled" });
}

/**
 * The top of the page, 1100 pixels wide and `height` high, as docs/<name>.png,
 * when UPDATE_DOCS_SCREENSHOTS=1.
 * @param {import("playwright-core").Page} page
 * @param {string} name
 * @param {number} [height] enough to end below a whole section rather than through one
 */
export async function docsScreenshot(page, name, height = 800) {
	if (!UPDATE_DOCS) return;
	await mkdir(DOCS, { recursive: true });
	const viewport = page.viewportSize();
	await page.setViewportSize({ width: 1100, height });
	try {
		await page.screenshot({ path: join(DOCS, `${name}.png`), animations: "disabled" });
	} finally {
		if (viewport) await page.setViewportSize(viewport);
	}
}
