// GitHub deployments against `wrangler dev`: GitHub's documented example events,
// signed as GitHub signs them, posted to a GitHub integration's URL, become one
// deploy that the API lists and the integration's page shows.

import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { sign } from "@octokit/webhooks-methods";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { openBrowser, screenshot } from "./browser.mjs";
import { api, deploysOf } from "./pipelines.mjs";

/**
 * GitHub's documented example payloads: a JSON package, which TypeScript types only through require.
 * @type {import("@octokit/webhooks-examples").WebhookDefinition[]}
 */
const examples = createRequire(import.meta.url)("@octokit/webhooks-examples");

const baseUrl = inject("baseUrl");
const adminToken = inject("adminToken");

/**
 * GitHub's first documented example of `event`, for deployment `id` of `repo`.
 * @param {string} event
 * @param {number} id
 * @param {string} repo
 */
function example(event, id, repo) {
	/** @type {any} */
	const body = structuredClone(examples.find((e) => e.name === event)?.examples[0]);
	body.deployment.id = id;
	body.repository.full_name = repo;
	// Deployed now, as a live webhook's would be (the examples date from 2019).
	body.deployment.created_at = new Date().toISOString();
	return body;
}

/**
 * POSTs `body` as GitHub delivers an event, signed with `secret`; answers the status and JSON.
 * @param {string} url
 * @param {string} event
 * @param {unknown} body
 * @param {string} secret
 */
async function deliver(url, event, body, secret) {
	const text = JSON.stringify(body);
	const response = await fetch(url, {
		method: "POST",
		headers: {
			"content-type": "application/json",
			"x-github-event": event,
			"x-github-delivery": randomUUID(),
			"x-hub-signature-256": await sign(secret, text),
		},
		body: text,
	});
	return { status: response.status, body: await response.json() };
}

describe("a GitHub integration", () => {
	/** @type {Awaited<ReturnType<typeof openBrowser>>} */
	let browser;
	/** @type {{ id: string, webhook_url: string, signing_secret: string }} */
	let integration;
	const repo = `octo/e2e-${randomUUID()}`;
	const deploymentId = Date.now();

	beforeAll(async () => {
		const created = await api("POST", "/integrations", { name: `e2e GitHub ${randomUUID()}`, kind: "github" });
		expect(created.status).toBe(201);
		integration = created.body;
		browser = await openBrowser({ baseUrl });
	});

	afterAll(async () => {
		await browser?.close();
	});

	it("turns GitHub's signed deployment and its status into one deploy, and refuses an unsigned one", async () => {
		const secret = integration.signing_secret;
		const url = integration.webhook_url;
		const answers = [
			await deliver(url, "ping", examples.find((e) => e.name === "ping")?.examples[0], secret),
			await deliver(url, "deployment", example("deployment", deploymentId, repo), secret),
			await deliver(url, "deployment_status", example("deployment_status", deploymentId, repo), secret),
			await deliver(url, "deployment", example("deployment", deploymentId + 1, repo), "not the secret"),
		];
		expect(answers.map((a) => `${a.status} ${a.body.result ?? a.body.errors[0].title}`)).toEqual([
			"200 pong",
			"202 no_service_found",
			"202 ok",
			"401 Signature Error",
		]);
		const deploys = await deploysOf(integration.id);
		expect(deploys.map((d) => [d.service_alias, d.dedup_id, d.status, d.environment])).toEqual([
			[repo, `github-deployment:${deploymentId}`, "success", "production"],
		]);
	});

	it("shows the deploy on the integration's page, with GitHub's setup steps and the secret only said to be set", async () => {
		const { page } = browser;
		await page.goto(`/integrations/${integration.id}`);
		await page.getByLabel("Admin token").fill(adminToken);
		await page.getByRole("button", { name: "Sign in" }).click();
		await page.waitForURL((u) => u.pathname === `/integrations/${integration.id}`);
		await expect(page.getByRole("cell", { name: repo }).count()).resolves.toBe(1);
		await page.locator("details.setup > summary").click();
		await expect(page.getByText("Settings › Webhooks › Add webhook").isVisible()).resolves.toBe(true);
		await expect(page.getByLabel(/^Payload URL/).inputValue()).resolves.toBe(integration.webhook_url);
		expect(await page.content()).not.toContain(integration.signing_secret);
		await screenshot(page, "35-github-integration");
		expect(browser.problems).toEqual([]);
	});
});
