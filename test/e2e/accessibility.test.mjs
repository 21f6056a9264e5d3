// Every main page, signed in and with data, in light and dark: axe-core finds
// no serious or critical violation; at 390 px nothing scrolls sideways (tables
// turn into stacked rows) and chart labels stay at least 11 px; the keyboard
// finds a skip link first and sees where its focus is.

import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { openBrowser, screenshot } from "./browser.mjs";

const baseUrl = inject("baseUrl");
const adminToken = inject("adminToken");

const DAY = 86_400_000;
/** A phone's width in CSS pixels (an iPhone 12 to 15). */
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1100, height: 800 };
const SIZES = /** @type {const} */ ([
	["desktop", DESKTOP],
	["390", PHONE],
]);
/** The smallest a chart's label may be drawn, in CSS pixels. */
const MIN_CHART_LABEL_PX = 11;
/** WCAG 2.2's minimums for a focus indicator (2.4.13): its thickness, and its contrast with what is around it. */
const MIN_FOCUS_WIDTH_PX = 2;
const MIN_FOCUS_CONTRAST = 3;
/** How a focus the keyboard can see reads, once judged by focusShown. */
const VISIBLE_FOCUS = {
	outline: "solid",
	widthPx: `${MIN_FOCUS_WIDTH_PX} px or more`,
	contrast: `${MIN_FOCUS_CONTRAST}:1 or more`,
	onScreen: true,
};
const SCHEMES = /** @type {const} */ (["light", "dark"]);

/** @typedef {import("playwright-core").Page} Page */
/** @typedef {Awaited<ReturnType<typeof openBrowser>>} Browser */

const axeSource = await readFile(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/**
 * A management-API call with the admin token, answering the parsed body.
 * @param {string} path
 * @param {unknown} body
 */
async function api(path, body) {
	const response = await fetch(new URL(path, baseUrl), {
		method: "POST",
		headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
		body: JSON.stringify(body),
	});
	expect(response.status, `POST ${path}`).toBe(201);
	return response.json();
}

/**
 * Reports a deploy to an integration's webhook, `daysAgo` days back.
 * @param {string} webhookUrl
 * @param {{ service: string, number: number, daysAgo: number, status: string, environment?: string }} deploy
 */
async function report(webhookUrl, { service, number, daysAgo, status, environment = "Production" }) {
	const deployedAt = Date.now() - daysAgo * DAY;
	const response = await fetch(webhookUrl, {
		method: "POST",
		headers: { "content-type": "application/json" },
		body: JSON.stringify({
			dedup_id: randomUUID(),
			service,
			deployer: { email: "pam@example.com", name: "Pam Beesly" },
			deployed_at: new Date(deployedAt).toISOString(),
			environment,
			description: `Deploy #${number} of ${service}`,
			deploy_number: String(number),
			status,
			commit: {
				sha: `${number}`.padEnd(40, "a"),
				message: `Change ${number}: a commit message long enough to wrap on a phone's narrow screen`,
				branch: "main",
				date: new Date(deployedAt - DAY / 4).toISOString(),
			},
		}),
	});
	expect(response.status, `deploy #${number}`).toBe(202);
}

/**
 * Signs in through the form, as a person would.
 * @param {Page} page
 */
async function signIn(page) {
	await page.goto("/login");
	await page.getByLabel("Admin token").fill(adminToken);
	await page.getByRole("button", { name: "Sign in" }).click();
	await page.waitForURL((url) => url.pathname !== "/login");
}

/**
 * Loads a page and waits until it has settled (the API reference renders after load).
 * @param {Page} page
 * @param {{ name: string, path: string, ready?: (page: Page) => Promise<unknown> }} target
 */
async function load(page, { path, ready }) {
	const response = await page.goto(path);
	expect(response?.status(), `GET ${path}`).toBe(200);
	await ready?.(page);
}

/**
 * axe-core's serious and critical findings on the page, one line each.
 * @param {Page} page
 */
async function axeViolations(page) {
	const violations = await page.evaluate(async () => {
		const { violations } = await window.axe.run(document, { resultTypes: ["violations"] });
		return violations.map((v) => ({
			id: v.id,
			impact: v.impact,
			targets: v.nodes.map((n) => n.target.join(" ")),
		}));
	});
	return violations
		.filter((v) => v.impact === "serious" || v.impact === "critical")
		.flatMap((v) => v.targets.map((target) => `${v.impact} ${v.id}: ${target}`));
}

/**
 * What makes the page wider than the screen, or scrolls sideways inside it
 * (a table or code block in a scrolling box is out of reach just the same).
 * @param {Page} page
 */
function sidewaysScrolling(page) {
	return page.evaluate(() => {
		const root = document.documentElement;
		const describe = (/** @type {Element} */ e) =>
			`${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ""}${[...e.classList].map((c) => `.${c}`).join("")}`;
		const found = [];
		if (root.scrollWidth > root.clientWidth) {
			const beyond = [...document.body.querySelectorAll("*")]
				.filter((e) => e.getBoundingClientRect().right > root.clientWidth + 0.5)
				.slice(0, 3)
				.map(describe);
			found.push(`the page is ${root.scrollWidth} px wide on a ${root.clientWidth} px screen (${beyond.join(", ")})`);
		}
		for (const e of document.body.querySelectorAll("*")) {
			const { overflowX } = getComputedStyle(e);
			const scrolls = (overflowX === "auto" || overflowX === "scroll") && e.scrollWidth > e.clientWidth;
			if (scrolls) found.push(`${describe(e)} scrolls sideways`);
		}
		return found;
	});
}

/**
 * Chart labels drawn smaller than the minimum: the SVG scales its text with it.
 * @param {Page} page
 * @param {number} minimum
 */
function smallChartLabels(page, minimum) {
	return page.evaluate((min) => {
		const small = [];
		for (const text of document.querySelectorAll(".chart svg text")) {
			const svg = /** @type {SVGSVGElement} */ (text.closest("svg"));
			const drawn = Number.parseFloat(getComputedStyle(text).fontSize) * (svg.getScreenCTM()?.a ?? 1);
			if (drawn < min) small.push(`"${text.textContent}" at ${drawn.toFixed(1)} px`);
		}
		return small;
	}, minimum);
}

/**
 * How the focused element shows its focus: the outline, and its contrast with
 * the background around it (where an outline drawn outside the element lies).
 * @param {Page} page
 */
function focusIndicator(page) {
	return page.evaluate(() => {
		const element = document.activeElement;
		if (!element || element === document.body) return { focused: "nothing" };
		const rgb = (/** @type {string} */ css) => (css.match(/[\d.]+/g) ?? []).map(Number);
		const luminance = (/** @type {number[]} */ [r = 0, g = 0, b = 0]) => {
			const linear = (/** @type {number} */ c) =>
				c / 255 <= 0.04045 ? c / 255 / 12.92 : ((c / 255 + 0.055) / 1.055) ** 2.4;
			return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
		};
		// The nearest ancestor's opaque background is what the outline is seen against.
		let behind = element.parentElement;
		while (behind && rgb(getComputedStyle(behind).backgroundColor)[3] === 0) behind = behind.parentElement;
		const background = getComputedStyle(behind ?? document.documentElement).backgroundColor;
		const style = getComputedStyle(element);
		const [outline, around] = [luminance(rgb(style.outlineColor)), luminance(rgb(background))];
		const [light, dark] = [Math.max(outline, around), Math.min(outline, around)];
		const box = element.getBoundingClientRect();
		return {
			focused: element.textContent?.trim() || element.getAttribute("name") || element.tagName,
			outline: style.outlineStyle,
			widthPx: Number.parseFloat(style.outlineWidth),
			contrast: Math.round(((light + 0.05) / (dark + 0.05)) * 100) / 100,
			onScreen: box.width > 1 && box.height > 1 && box.top >= 0 && box.left >= 0,
		};
	});
}

/**
 * A focus indicator judged: the figures that pass read as VISIBLE_FOCUS does, the others as they are.
 * @param {Page} page
 */
async function focusShown(page) {
	const { widthPx, contrast, ...rest } = await focusIndicator(page);
	return {
		...rest,
		...(widthPx !== undefined && { widthPx: widthPx >= MIN_FOCUS_WIDTH_PX ? VISIBLE_FOCUS.widthPx : widthPx }),
		...(contrast !== undefined && { contrast: contrast >= MIN_FOCUS_CONTRAST ? VISIBLE_FOCUS.contrast : contrast }),
	};
}

describe("accessibility and small screens", () => {
	/** @type {{ name: string, path: string, ready?: (page: Page) => Promise<unknown> }[]} */
	const pages = [];
	/** @type {Browser} */
	let browser;
	/** A second browser that bypasses the pages' CSP, only so axe-core's script can be added to them. */
	/** @type {Browser} */
	let axeBrowser;

	beforeAll(async () => {
		const pipeline = await api("/api/integrations", { name: "Storefront pipeline (a11y)", kind: "github_actions" });
		const quiet = await api("/api/integrations", { name: "Quiet pipeline (a11y)", kind: "circleci" });
		const storefront = await api("/api/services", { name: "Storefront (a11y)", aliases: ["storefront-a11y"] });
		const idle = await api("/api/services", { name: "Billing (a11y)", aliases: ["billing-a11y"] });
		const team = await api("/api/teams", { name: "Storefront team (a11y)", members: ["ann@example.com"] });
		await fetch(new URL(`/api/services/${storefront.id}/team`, baseUrl), {
			method: "PUT",
			headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
			body: JSON.stringify({ team_id: team.id }),
		});
		const emptyTeam = await api("/api/teams", { name: "New team (a11y)" });
		const subscription = await api("/api/notifications", {
			name: "Storefront failures (a11y)",
			kind: "webhook",
			url: "https://hooks.example.com/a11y",
			service_id: storefront.id,
		});
		// A long name, as real catalogs have: lists and the suggestions' select must still fit a phone.
		await api("/api/services", {
			name: "Payments reconciliation and settlement batch processor for the European region (a11y)",
			aliases: ["payments-reconciliation-a11y"],
		});
		// Five weeks of deploys in every status, so the charts and badges have something to show.
		const statuses = ["success", "failed", "success", "cancelled", "queued", "success", "in_progress", "mystery"];
		for (const [i, status] of statuses.entries()) {
			await report(pipeline.webhook_url, {
				service: "storefront-a11y",
				number: 500 + i,
				daysAgo: 35 - 4.5 * i,
				status,
			});
		}
		await report(pipeline.webhook_url, {
			service: "storefront-a11y",
			number: 600,
			daysAgo: 1,
			status: "success",
			environment: "Staging",
		});
		await report(pipeline.webhook_url, { service: "search-a11y-unclaimed", number: 7, daysAgo: 2, status: "success" });
		// A token that expires within the week, so the tokens page shows its flag.
		const expiresAt = new Date(Date.now() + 3 * 24 * 3600 * 1000).toISOString();
		await api("/api/tokens", { name: "Release dashboard (a11y)", role: "viewer", expires_at: expiresAt });
		const deploys = await (
			await fetch(new URL(`/api/deploys?service=${storefront.id}`, baseUrl), {
				headers: { authorization: `Bearer ${adminToken}` },
			})
		).json();
		const deployId = deploys.deploys[0]?.id;
		expect(deployId, "a deploy to show").toBeTypeOf("string");
		const repository = await api("/api/integrations", { name: "Storefront repository (a11y)", kind: "github" });
		// One incident resolved and one open, so the service page lists both and its timeline marks the deploy blamed.
		const hoursAgo = (/** @type {number} */ hours) => new Date(Date.now() - hours * 3600 * 1000).toISOString();
		await api("/api/incidents", {
			service: storefront.id,
			title: "Checkout errors after the release (a11y)",
			// Hours after the last production deploy (3.5 days back), which it is blamed on.
			started_at: hoursAgo(80),
			resolved_at: hoursAgo(78),
			link: "https://status.example.com/incidents/1",
		});
		await api("/api/incidents", { service: storefront.id, title: "Slow search (a11y)", started_at: hoursAgo(2) });

		pages.push(
			{ name: "sign-in", path: "/login" },
			{ name: "integrations", path: "/integrations" },
			{ name: "new-integration", path: "/integrations/new" },
			{ name: "new-integration-form", path: "/integrations/new/github_actions" },
			{ name: "integration", path: `/integrations/${pipeline.id}` },
			{ name: "integration-empty", path: `/integrations/${quiet.id}` },
			{ name: "services", path: "/services" },
			{ name: "new-service", path: "/services/new" },
			{ name: "service", path: `/services/${storefront.id}` },
			{ name: "service-empty", path: `/services/${idle.id}` },
			{ name: "service-edit", path: `/services/${storefront.id}/edit` },
			{ name: "service-merge", path: `/services/${storefront.id}/merge?into_service_id=${idle.id}` },
			{ name: "service-archive", path: `/services/${storefront.id}/archive` },
			{ name: "service-delete", path: `/services/${storefront.id}/delete` },
			{ name: "teams", path: "/teams" },
			{ name: "team", path: `/teams/${team.id}` },
			{ name: "team-empty", path: `/teams/${emptyTeam.id}` },
			{ name: "team-edit", path: `/teams/${team.id}/edit` },
			{ name: "team-delete", path: `/teams/${team.id}/delete` },
			{ name: "deploys", path: "/deploys" },
			{ name: "deploys-none-match", path: "/deploys?environment=nowhere" },
			{ name: "deploy", path: `/deploys/${deployId}` },
			{ name: "suggestions", path: "/suggestions" },
			{ name: "audit", path: "/audit" },
			{ name: "members", path: "/members" },
			{ name: "tokens", path: "/tokens" },
			{ name: "settings", path: "/settings" },
			{ name: "github-integration", path: `/integrations/${repository.id}` },
			{ name: "new-integration-flux", path: "/integrations/new/flux" },
			{ name: "incident-new", path: `/services/${storefront.id}/incidents/new` },
			{ name: "notifications", path: "/notifications" },
			{ name: "notification", path: `/notifications/${subscription.id}` },
			{
				name: "api-reference",
				path: "/api/docs",
				ready: (page) => page.getByRole("heading", { name: "Deploy tracker", level: 1 }).waitFor(),
			},
		);

		browser = await openBrowser({ baseUrl });
		axeBrowser = await openBrowser({ baseUrl, bypassCSP: true });
		await axeBrowser.context.addInitScript({ content: axeSource });
		// The sign-in page is the same signed in or out: one session serves every page.
		for (const { page } of [browser, axeBrowser]) await signIn(page);
	});

	afterAll(async () => {
		await browser?.close();
		await axeBrowser?.close();
	});

	/**
	 * The UI's own pages. The API reference is Scalar's viewer, served as it is
	 * built: axe-core finds violations in its markup (icon buttons without a name,
	 * grey-on-grey text) that only Scalar can fix, so it is not judged here.
	 */
	const ours = () => pages.filter((p) => p.name !== "api-reference");

	for (const scheme of SCHEMES) {
		test(`axe-core finds no serious or critical violation on any page, desktop or phone (${scheme})`, async () => {
			const { page } = axeBrowser;
			await page.emulateMedia({ colorScheme: scheme });
			const found = [];
			for (const [size, viewport] of SIZES) {
				await page.setViewportSize(viewport);
				for (const target of ours()) {
					await load(page, target);
					found.push(...(await axeViolations(page)).map((v) => `${target.name} (${size}): ${v}`));
				}
			}
			expect(found).toEqual([]);
		});
	}

	test("at 390 px no page scrolls sideways, and chart labels stay readable", async () => {
		const { page } = browser;
		await page.setViewportSize(PHONE);
		const found = [];
		for (const target of ours()) {
			await load(page, target);
			found.push(...(await sidewaysScrolling(page)).map((f) => `${target.name}: ${f}`));
			found.push(...(await smallChartLabels(page, MIN_CHART_LABEL_PX)).map((f) => `${target.name}: chart label ${f}`));
		}
		expect(found).toEqual([]);
	});

	test("tables become labelled stacked rows at 390 px, every status and action on screen", async () => {
		const { page } = browser;
		await page.setViewportSize(PHONE);
		await load(page, { name: "suggestions", path: "/suggestions" });
		const row = page.getByRole("row").filter({ hasText: "search-a11y-unclaimed" });
		const cells = await row
			.locator("td")
			.evaluateAll((tds) =>
				tds.map((td) => ({ label: getComputedStyle(td, "::before").content, right: td.getBoundingClientRect().right })),
			);
		expect(cells.map((c) => c.label)).toEqual(['"Alias"', '"Deploys"', '"Last seen"', '"Actions"']);
		expect(cells.filter((c) => c.right > PHONE.width)).toEqual([]);
		const button = row.getByRole("button", { name: "Create service" });
		await expect(button.evaluate((b) => b.getBoundingClientRect().right)).resolves.toBeLessThanOrEqual(PHONE.width);
	});

	for (const scheme of SCHEMES) {
		test(`the keyboard finds a skip link first, and every focus is outlined (${scheme})`, async () => {
			const { page } = browser;
			await page.setViewportSize(DESKTOP);
			await page.emulateMedia({ colorScheme: scheme });
			await load(page, { name: "services", path: "/services" });

			await page.keyboard.press("Tab");
			expect(await focusShown(page)).toEqual({ focused: "Skip to content", ...VISIBLE_FOCUS });
			await page.keyboard.press("Enter");
			const hash = new URL(page.url()).hash;
			// The next Tab continues in the content, past the nav.
			await page.keyboard.press("Tab");
			const first = await focusShown(page);
			await load(page, { name: "deploys", path: "/deploys" });
			await page.keyboard.press("Tab");
			await page.keyboard.press("Tab");
			const nav = await focusShown(page);
			await page.getByLabel("Environment").focus();
			const input = await focusShown(page);
			await page.getByRole("button", { name: "Filter" }).focus();
			const button = await focusShown(page);

			expect({ hash, first, nav, input, button }).toEqual({
				hash: "#main",
				first: { focused: "New service", ...VISIBLE_FOCUS },
				nav: { focused: "Deploy tracker", ...VISIBLE_FOCUS },
				input: { focused: "environment", ...VISIBLE_FOCUS },
				button: { focused: "Filter", ...VISIBLE_FOCUS },
			});
		});
	}

	test("screenshots: every page on a desktop and a phone, light and dark", async () => {
		const { page } = browser;
		for (const scheme of SCHEMES) {
			await page.emulateMedia({ colorScheme: scheme });
			for (const [size, viewport] of SIZES) {
				await page.setViewportSize(viewport);
				for (const target of pages) {
					await load(page, target);
					await screenshot(page, `a11y-${scheme}-${size}-${target.name}`);
				}
			}
		}
		expect(browser.problems).toEqual([]);
		// Every page four times over (two schemes, two sizes): longer than one test's default on a busy machine.
	}, 180_000);
});
