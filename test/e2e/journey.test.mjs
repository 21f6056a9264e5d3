// A newcomer's first session, in a real Chromium against `wrangler dev`: sign
// in, create an integration and copy its URL, report deploys to it from a
// pipeline (here: Node's fetch), turn the unknown alias into a service, revoke
// the integration, sign out. Then the same forms once more without JavaScript.
//
// Steps share one browser and build on each other; once one fails, the rest
// are skipped rather than failing for the same reason.

import { createHash, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { docsScreenshot, openBrowser, screenshot } from "./browser.mjs";

const baseUrl = inject("baseUrl");
const adminToken = inject("adminToken");

const ALIAS = "checkout-e2e";
const SERVICE_NAME = "Checkout";
/** Markup a pipeline might send: it must come out as text, never as a script that runs. */
const INJECTION = "<script>window.__xss=1</script>";
const HOUR = 3_600_000;

/** @typedef {import("playwright-core").Page} Page */
/** @typedef {Awaited<ReturnType<typeof openBrowser>>} Browser */

/**
 * Steps that build on each other: after the first failure the others are
 * skipped, so the report names the step that broke.
 */
function steps() {
	/** @type {string | undefined} */
	let broken;
	/**
	 * @param {string} name
	 * @param {() => Promise<void>} run
	 */
	return (name, run) =>
		test(name, async (context) => {
			if (broken) context.skip(`skipped: "${broken}" failed`);
			try {
				await run();
			} catch (error) {
				broken = name;
				throw error;
			}
		});
}

/**
 * A deploy as a pipeline reports it (the reference example's shape), an hour
 * ago, for the e2e alias, with markup in the texts a page shows.
 * @param {Record<string, unknown>} [overrides]
 */
function deployPayload(overrides = {}) {
	const deployedAt = Date.now() - HOUR;
	return {
		dedup_id: randomUUID(),
		service: ALIAS,
		deployer: { id: "1a9f841f-9a3d-4423-a05a-7e9c31a02b16", email: "michael@example.com", name: "Michael Scott" },
		deployed_at: new Date(deployedAt).toISOString(),
		environment: "Production",
		description: `Deployed by CI Pipeline: Deploy #234 ${INJECTION}`,
		deploy_number: "234",
		status: "running",
		commit: {
			sha: "38d02f1d7aab64678a7ad3eeb2ad2887ce7253f5",
			message: `Merge branch 'fix-tax-rate' into 'main' ${INJECTION}`,
			branch: "main",
			date: new Date(deployedAt - 3 * HOUR).toISOString(),
			author_name: "Michael Scott",
			author_email: "michael@example.com",
		},
		...overrides,
	};
}

/**
 * POSTs a deploy the way a pipeline does, answering the status and parsed body.
 * @param {string} url
 * @param {Record<string, unknown>} payload
 */
async function postDeploy(url, payload) {
	const response = await fetch(url, {
		method: "POST",
		headers: { "content-type": "application/json" },
		body: JSON.stringify(payload),
	});
	const text = await response.text();
	return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/**
 * Goes to `path` and waits for the page it lands on (after any redirect).
 * @param {Page} page
 * @param {string} path
 */
async function visit(page, path) {
	const response = await page.goto(path);
	expect(response?.status(), `GET ${path} (landed on ${page.url()})`).toBe(200);
}

/**
 * The page's path and query, without the origin.
 * @param {Page} page
 */
const here = (page) => {
	const url = new URL(page.url());
	return `${url.pathname}${url.search}`;
};

/**
 * Markup from a deploy stayed text: no element came of it and nothing ran.
 * (The CSP would block an inline script anyway; this checks the escaping itself.)
 * @param {Page} page
 */
async function expectNothingInjected(page) {
	const found = await page.evaluate(() => ({
		ran: /** @type {any} */ (window).__xss,
		scripts: [...document.scripts].filter((s) => s.textContent?.includes("__xss")).length,
	}));
	expect(found, `on ${page.url()}`).toEqual({ ran: undefined, scripts: 0 });
}

/**
 * The text of the table row that mentions `text`.
 * @param {Page} page
 * @param {string | RegExp} text
 */
const row = (page, text) => page.getByRole("row").filter({ hasText: text });

/**
 * A table's rows, each as its cells' texts by column heading.
 * @param {import("playwright-core").Locator} table
 * @returns {Promise<Record<string, string>[]>}
 */
function rows(table) {
	return table.evaluate((t) => {
		const text = (/** @type {Element} */ cell) => (cell.textContent ?? "").replace(/\s+/g, " ").trim();
		const head = [...t.querySelectorAll("thead th")].map(text);
		return [...t.querySelectorAll("tbody tr")].map((tr) =>
			Object.fromEntries([.../** @type {HTMLTableRowElement} */ (tr).cells].map((td, i) => [head[i] ?? i, text(td)])),
		);
	});
}

/**
 * The rows of the table right under the h2 `heading`.
 * @param {Page} page
 * @param {string} heading
 */
const tableUnder = (page, heading) => rows(page.locator(`h2:text-is(${JSON.stringify(heading)}) + .table-wrap table`));

describe("a newcomer's first session", () => {
	const step = steps();
	/** @type {Browser} */
	let browser;
	/** @type {Page} */
	let page;
	/** Filled in as the journey goes. */
	const state = { integrationPath: "", webhookUrl: "", servicePath: "", deployPath: "" };

	beforeAll(async () => {
		browser = await openBrowser({ baseUrl });
		page = browser.page;
		await browser.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: baseUrl });
	});

	afterAll(async () => {
		await browser?.close();
	});

	step("/ sends a visitor without a session to sign in", async () => {
		await page.goto("/");
		expect(here(page)).toBe("/login?next=%2F");
		await expect(page.getByRole("heading", { name: "Sign in" }).isVisible()).resolves.toBe(true);
		await screenshot(page, "00-sign-in");
		// The nav and sign-out are only for signed-in visitors.
		await expect(page.getByRole("button", { name: "Sign out" }).count()).resolves.toBe(0);
	});

	step("a wrong token is refused, the admin token signs in", async () => {
		await page.getByLabel("Admin token").fill("not-the-token");
		await page.getByRole("button", { name: "Sign in" }).click();
		await page.getByRole("alert").filter({ hasText: "that is not the admin token" }).waitFor();

		await page.getByLabel("Admin token").fill(adminToken);
		await page.getByRole("button", { name: "Sign in" }).click();
		await page.waitForURL((url) => url.pathname === "/services");
		await page.getByRole("button", { name: "Sign out" }).waitFor();
	});

	step("Integrations starts empty and offers a new one", async () => {
		await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Integrations" }).click();
		await page.waitForURL((url) => url.pathname === "/integrations");
		await page.getByText("No integrations yet").waitFor();
		await screenshot(page, "01-integrations-empty");

		await page.getByRole("link", { name: "New Integration" }).first().click();
		await page.waitForURL((url) => url.pathname === "/integrations/new");
		const tiles = page.locator(".tiles").getByRole("link");
		const names = await tiles.locator("strong").allInnerTexts();
		expect(names).toEqual([
			"Deploy",
			"GitHub Actions",
			"GitLab CI",
			"Jenkins",
			"Octopus Deploy",
			"CircleCI",
			"GitHub deployments",
			"Argo CD",
			"Flux",
		]);
		await screenshot(page, "02-new-integration-tiles");
	});

	step("the GitHub Actions tile creates a deploy endpoint", async () => {
		await page.getByRole("link", { name: /^GitHub Actions/ }).click();
		await page.waitForURL((url) => url.pathname === "/integrations/new/github_actions");
		const name = page.getByLabel("Name");
		await expect(name.inputValue()).resolves.toBe("GitHub Actions");
		await name.fill("GitHub Actions (e2e)");
		await page.getByRole("button", { name: "Create a Deploy Endpoint" }).click();
		await page.waitForURL(/\/integrations\/[0-9a-f-]{36}$/);
		state.integrationPath = new URL(page.url()).pathname;
		await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("GitHub Actions (e2e)");
	});

	step("Copy puts the webhook URL on the clipboard, to store as the secret the snippet reads", async () => {
		const field = page.locator("input#webhook-url");
		const url = await field.inputValue();
		const { port } = new URL(baseUrl);
		expect(url).toMatch(
			new RegExp(
				`^http://localhost:${port}/integrations/deploy/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`,
			),
		);
		state.webhookUrl = url;
		await page.getByText("No deploys yet").waitFor();
		await screenshot(page, "03-integration-new");
		// The README's picture of the setup: once deploys arrive it folds away below them.
		await docsScreenshot(page, "integration-page", 880);

		const copy = page.locator('button[data-copy="webhook-url"]');
		await expect(copy.textContent()).resolves.toBe("Copy");
		await copy.click();
		await expect.poll(() => copy.textContent()).toBe("Copied");
		await expect(page.evaluate(() => navigator.clipboard.readText())).resolves.toBe(url);

		await page.getByText("Store this URL as a repository secret named DEPLOY_WEBHOOK_URL").waitFor();
		const snippet = await page.locator("pre#snippet").textContent();
		// biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a JavaScript template
		expect(snippet).toContain("webhook-url: ${{ secrets.DEPLOY_WEBHOOK_URL }}");
		expect(snippet).not.toContain(url);
	});

	step("a deploy for an unknown alias is accepted and recorded as a suggestion", async () => {
		const answer = await postDeploy(state.webhookUrl, deployPayload());
		expect(answer).toEqual({
			status: 202,
			body: {
				result: "no_service_found",
				message: `No service found matching alias '${ALIAS}'. Recording '${ALIAS}' as a suggestion.`,
			},
		});
	});

	step("the integration page lists it under Latest deploys, escaped", async () => {
		await page.reload();
		await expect(tableUnder(page, "Latest deploys")).resolves.toEqual([
			expect.objectContaining({
				Service: `${ALIAS} (unmatched)`,
				Environment: "Production",
				Status: "running",
				"#": "234",
				Commit: "38d02f1d",
				Deployer: "Michael Scott",
			}),
		]);
		await expectNothingInjected(page);
		await screenshot(page, "04-integration-with-deploy");

		// Its detail page shows the markup as text.
		await row(page, ALIAS).getByRole("link").first().click();
		await page.waitForURL(/\/deploys\/[0-9a-f-]{36}$/);
		state.deployPath = new URL(page.url()).pathname;
		await page.getByRole("heading", { name: `Deploy #234 of ${ALIAS}` }).waitFor();
		await expect(page.locator("pre").filter({ hasText: "fix-tax-rate" }).textContent()).resolves.toContain(INJECTION);
		await expect(page.locator("main").textContent()).resolves.toContain(`Deploy #234 ${INJECTION}`);
		await expectNothingInjected(page);
		await screenshot(page, "05-deploy-unmatched");
	});

	step("Suggestions lists the alias once; Create service turns it into Checkout", async () => {
		await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Suggestions" }).click();
		await page.waitForURL((url) => url.pathname === "/suggestions");
		const suggestion = row(page, ALIAS);
		await expect(suggestion.count()).resolves.toBe(1);
		// Alias, then the deploy count.
		await expect(suggestion.getByRole("cell").nth(1).textContent()).resolves.toBe("1");
		await screenshot(page, "06-suggestions");

		const name = suggestion.getByLabel("Service name");
		await expect(name.inputValue()).resolves.toBe(ALIAS);
		await name.fill(SERVICE_NAME);
		await suggestion.getByRole("button", { name: "Create service" }).click();
		await page.waitForURL(/\/services\/[0-9a-f-]{36}\?done=accepted$/);
		await page.getByRole("status").getByText("The service was created for the suggested alias").waitFor();
		state.servicePath = new URL(page.url()).pathname;
		await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe(SERVICE_NAME);
		await page.getByText(`Aliases: ${ALIAS}`).waitFor();
	});

	step("the service page shows the earlier deploy, still running, as an attempt: nothing runs there yet", async () => {
		await expect(tableUnder(page, "What runs where")).resolves.toEqual([
			expect.objectContaining({
				Environment: "Production",
				"Live since": expect.stringMatching(/^Nothing live yet\s*Newer attempt #234 running /),
				"#": "",
			}),
		]);
		await expect(tableUnder(page, "Deploys")).resolves.toEqual([
			expect.objectContaining({ Environment: "Production", "#": "234", Status: "running" }),
		]);
		await expectNothingInjected(page);
	});

	step("the suggestion is gone once a service owns the alias", async () => {
		await visit(page, "/suggestions");
		await expect(row(page, ALIAS).count()).resolves.toBe(0);
		await page.getByText("No suggestions").waitFor();
	});

	step("deploys for the now-known alias answer ok and show on the service page", async () => {
		const later = Date.now() - HOUR / 2;
		const production = deployPayload({
			deploy_number: "235",
			status: "success",
			deployed_at: new Date(later).toISOString(),
			description: "Deployed by CI Pipeline: Deploy #235",
			commit: { sha: "4be1d2c0a6f3e9b8d7c6a5b4c3d2e1f0a9b8c7d6", message: "Round tax to cents", branch: "main" },
		});
		await expect(postDeploy(state.webhookUrl, production)).resolves.toEqual({ status: 202, body: { result: "ok" } });
		const staging = deployPayload({
			deploy_number: "236",
			environment: "Staging",
			status: "success",
			deployed_at: new Date(later + 60_000).toISOString(),
			description: "Deployed by CI Pipeline: Deploy #236",
			commit: { sha: "9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b", message: "Show tax per line", branch: "main" },
		});
		await expect(postDeploy(state.webhookUrl, staging)).resolves.toEqual({ status: 202, body: { result: "ok" } });

		await visit(page, state.servicePath);
		const where = await tableUnder(page, "What runs where");
		expect(where.map((r) => [r.Environment, r["#"], r.Status]).sort()).toEqual([
			["Production", "235", "success"],
			["Staging", "236", "success"],
		]);
		const deploys = await tableUnder(page, "Deploys");
		expect(deploys.map((r) => r["#"])).toEqual(["236", "235", "234"]);
		await expectNothingInjected(page);
	});

	step("Services and Deploys list what happened", async () => {
		await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Services" }).click();
		await page.waitForURL((url) => url.pathname === "/services");
		await expect(rows(page.locator("main table"))).resolves.toEqual([
			expect.objectContaining({
				Service: SERVICE_NAME,
				Aliases: ALIAS,
				"In production": expect.stringMatching(/ago$/),
				"#": "235",
				Status: "success",
				"Deploys, last 30 days": "3",
			}),
		]);
		await screenshot(page, "08-services");

		await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Deploys" }).click();
		await page.waitForURL((url) => url.pathname === "/deploys");
		const deploys = await rows(page.locator("main table"));
		expect(deploys.map((r) => [r.Service, r.Environment, r["#"]])).toEqual([
			[SERVICE_NAME, "Staging", "236"],
			[SERVICE_NAME, "Production", "235"],
			[SERVICE_NAME, "Production", "234"],
		]);
		await expectNothingInjected(page);
		await screenshot(page, "09-deploys");

		// The filters are a plain GET form.
		await page.getByLabel("Environment").fill("Staging");
		await page.getByRole("button", { name: "Filter" }).click();
		await page.waitForURL((url) => url.searchParams.get("environment") === "Staging");
		const staging = await rows(page.locator("main table"));
		expect(staging.map((r) => [r.Service, r.Environment, r["#"]])).toEqual([[SERVICE_NAME, "Staging", "236"]]);

		await visit(page, state.deployPath);
		await page.getByRole("heading", { name: `Deploy #234 of ${SERVICE_NAME}` }).waitFor();
		await expectNothingInjected(page);
		await screenshot(page, "10-deploy");
	});

	step("ten weeks of history fill the Delivery charts", async () => {
		// Two deploys a week, 1 to 10 weeks back, numbered in the order they happened;
		// three weeks back, a production deploy fails and the next one restores it.
		/** @type {ReturnType<typeof deployPayload>[]} */
		const history = [];
		for (let weeks = 10; weeks >= 1; weeks--) {
			const at = Date.now() - weeks * 7 * 24 * HOUR;
			for (const [environment, offset] of /** @type {const} */ ([
				["Staging", 0],
				["Production", 2 * HOUR],
			])) {
				const number = 214 + history.length;
				const deployedAt = at + offset;
				history.push(
					deployPayload({
						deploy_number: String(number),
						environment,
						status: weeks === 3 && environment === "Production" ? "failed" : "success",
						deployed_at: new Date(deployedAt).toISOString(),
						description: `Deployed by CI Pipeline: Deploy #${number}`,
						commit: {
							sha: createHash("sha1").update(`change ${number}`).digest("hex"),
							message: `Change ${number}`,
							branch: "main",
							date: new Date(deployedAt - (4 + (number % 5) * 6) * HOUR).toISOString(),
						},
					}),
				);
			}
		}
		// And a production deploy that is still going: an attempt, not what runs.
		history.push(
			deployPayload({
				deploy_number: "237",
				status: "in_progress",
				deployed_at: new Date(Date.now() - HOUR / 6).toISOString(),
				description: "Deployed by CI Pipeline: Deploy #237",
				commit: { sha: "9f8e7d6c5b4a39281706f5e4d3c2b1a098765432", message: "Cache tax tables", branch: "main" },
			}),
		);
		for (const payload of history) {
			await expect(postDeploy(state.webhookUrl, payload)).resolves.toEqual({ status: 202, body: { result: "ok" } });
		}

		await visit(page, state.servicePath);
		// A bar for this week and each of the ten before it.
		const bars = page.getByRole("img", { name: /^Deploys per week/ }).locator("rect.bar");
		await expect(bars.count()).resolves.toBe(11);
		const dots = page.getByRole("img", { name: /^Median lead time per week/ }).locator("circle.dot");
		await expect(dots.count()).resolves.toBe(11);
		// Production still runs #235: history arriving late does not replace what is live,
		// and #237, still running, shows beside it as an attempt.
		const where = await tableUnder(page, "What runs where");
		expect(
			where.map((r) => [r.Environment, r["#"], /Newer attempt #\d+ \w+/.exec(r["Live since"] ?? "")?.[0]]),
		).toEqual([
			["Production", "235", "Newer attempt #237 running"],
			["Staging", "236", undefined],
		]);
		// The newest first, a page at a time.
		const deploys = await tableUnder(page, "Deploys");
		expect(deploys[0]?.["#"]).toBe("237");
		expect(deploys.map((r) => Number(r["#"]))).toEqual([...deploys.map((r) => Number(r["#"]))].sort((a, b) => b - a));
		await page.getByRole("link", { name: "Older »" }).waitFor();
		await expectNothingInjected(page);
		await screenshot(page, "07-service");
		await docsScreenshot(page, "service-page", 820);
	});

	step("revoking the integration through the UI closes its webhook URL", async () => {
		await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Integrations" }).click();
		await page.waitForURL((url) => url.pathname === "/integrations");
		await expect(row(page, "GitHub Actions (e2e)").textContent()).resolves.toContain("GitHub Actions");
		await screenshot(page, "11-integrations");

		await row(page, "GitHub Actions (e2e)").getByRole("link", { name: "GitHub Actions (e2e)" }).click();
		await page.waitForURL((url) => url.pathname === state.integrationPath);
		await page.getByRole("link", { name: "Revoke…" }).click();
		await page.waitForURL((url) => url.pathname === `${state.integrationPath}/revoke`);
		await screenshot(page, "12-revoke");
		await page.getByRole("button", { name: "Revoke integration" }).click();
		await page.waitForURL((url) => url.pathname === "/integrations");
		await page.getByRole("status").filter({ hasText: "revoked" }).waitFor();
		await page.getByText("No integrations yet").waitFor();

		const answer = await postDeploy(state.webhookUrl, deployPayload({ deploy_number: "237" }));
		expect(answer.status).toBe(404);
	});

	step("signing out closes the pages", async () => {
		await page.getByRole("button", { name: "Sign out" }).click();
		await page.waitForURL((url) => url.pathname === "/login");
		await page.goto("/services");
		expect(here(page)).toBe("/login?next=%2Fservices");
		const cookies = await browser.context.cookies(baseUrl);
		expect(cookies.filter((c) => c.name === "session")).toEqual([]);
	});

	step("no page logged an error or a CSP violation", async () => {
		expect(browser.problems).toEqual([]);
	});
});

describe("without JavaScript", () => {
	const step = steps();
	/** @type {Browser} */
	let browser;
	/** @type {Page} */
	let page;

	beforeAll(async () => {
		browser = await openBrowser({ baseUrl, javaScriptEnabled: false });
		page = browser.page;
	});

	afterAll(async () => {
		await browser?.close();
	});

	step("signing in works", async () => {
		await page.goto("/services/new");
		expect(here(page)).toBe("/login?next=%2Fservices%2Fnew");
		await page.getByLabel("Admin token").fill(adminToken);
		await page.getByRole("button", { name: "Sign in" }).click();
		await page.waitForURL((url) => url.pathname === "/services/new");
	});

	step("the New service form creates a service, and refuses a taken name with the reason", async () => {
		await page.getByLabel("Name", { exact: true }).fill("Payments (no JS)");
		await page.getByLabel("Aliases").fill("payments-nojs, payments-api-nojs");
		await page.getByRole("button", { name: "Create service" }).click();
		await page.waitForURL(/\/services\/[0-9a-f-]{36}(\?.*)?$/);
		await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("Payments (no JS)");
		await page.getByText("Aliases: payments-nojs, payments-api-nojs").waitFor();
		await screenshot(page, "20-no-js-service");

		// The same name in other letters is taken: the form comes back with why, and what was typed.
		await visit(page, "/services/new");
		await page.getByLabel("Name", { exact: true }).fill("PAYMENTS (NO JS)");
		await page.getByRole("button", { name: "Create service" }).click();
		await page.getByRole("alert").waitFor();
		expect(here(page)).toBe("/services");
		await expect(page.getByLabel("Name", { exact: true }).inputValue()).resolves.toBe("PAYMENTS (NO JS)");
		await screenshot(page, "21-no-js-refused");
	});

	step("the integration page still shows the URL to select by hand", async () => {
		await visit(page, "/integrations/new/deploy");
		await page.getByRole("button", { name: "Create a Deploy Endpoint" }).click();
		await page.waitForURL(/\/integrations\/[0-9a-f-]{36}$/);
		await expect(page.locator("input#webhook-url").inputValue()).resolves.toMatch(/\/integrations\/deploy\//);
		// The copy button needs the script: without it, it is not offered.
		await expect(page.locator('button[data-copy="webhook-url"]').isVisible()).resolves.toBe(false);
		await screenshot(page, "22-no-js-integration");
	});
});
