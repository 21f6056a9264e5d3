// Notifications out in a real Chromium against `wrangler dev`, whose local
// Queues run the consumer: a subscription made on the Notifications page
// delivers a deploy to a receiver this test runs (a Node HTTP server on
// 127.0.0.1), which refuses the first attempt; the queue's retry gets through
// under the same webhook-id, signed with the secret the page showed once.

import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { openBrowser, screenshot } from "./browser.mjs";
import { newIntegration, sendDeploy } from "./pipelines.mjs";

const baseUrl = inject("baseUrl");
const adminToken = inject("adminToken");

/**
 * A receiver answering 500 to its first request and 200 after that, keeping what it got.
 * @returns {Promise<{ url: string, received: { headers: Record<string, string>, body: string }[], close: () => Promise<void> }>}
 */
async function flakyReceiver() {
	/** @type {{ headers: Record<string, string>, body: string }[]} */
	const received = [];
	const server = createServer(async (request, response) => {
		const chunks = [];
		for await (const chunk of request) chunks.push(chunk);
		const headers = /** @type {Record<string, string>} */ (request.headers);
		received.push({ headers, body: Buffer.concat(chunks).toString("utf8") });
		response.writeHead(received.length === 1 ? 500 : 200).end();
	});
	await new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(undefined)));
	const address = server.address();
	if (!address || typeof address !== "object") throw new Error("the receiver has no port");
	return {
		url: `http://127.0.0.1:${address.port}/hook`,
		received,
		close: () => new Promise((resolve) => server.close(() => resolve(undefined))),
	};
}

/**
 * Waits until `condition` holds, for up to 30 s.
 * @param {() => boolean} condition
 */
async function until(condition) {
	for (const deadline = Date.now() + 30_000; !condition() && Date.now() < deadline; ) {
		await new Promise((resolve) => setTimeout(resolve, 200));
	}
}

describe("notifications out", () => {
	/** @type {Awaited<ReturnType<typeof openBrowser>>} */
	let browser;
	/** @type {Awaited<ReturnType<typeof flakyReceiver>>} */
	let receiver;

	beforeAll(async () => {
		receiver = await flakyReceiver();
		browser = await openBrowser({ baseUrl });
		const { page } = browser;
		await page.goto("/notifications");
		await page.getByLabel("Admin token").fill(adminToken);
		await page.getByRole("button", { name: "Sign in" }).click();
		await page.waitForURL((url) => url.pathname === "/notifications");
	});

	afterAll(async () => {
		await browser?.close();
		await receiver?.close();
	});

	it("delivers a deploy to a receiver that first fails, signed, and logs it", async () => {
		const { page } = browser;
		const alias = `checkout-${randomUUID().slice(0, 8)}`;
		await page.getByLabel("Name").fill(`Deploy feed ${alias}`);
		await page.getByLabel("URL").fill(receiver.url);
		for (const event of ["deploy.status_changed", "deploy.failed", "deploy.rolled_back"]) {
			await page.getByLabel(event).uncheck();
		}
		await page.getByRole("button", { name: "Create subscription" }).click();
		const secret = await page.getByLabel("Secret").inputValue();
		expect(secret).toMatch(/^whsec_/);
		// The page that showed the secret answered the form's POST, at /notifications: its own path is on its buttons.
		const rotate = await page.locator('form[action$="/secret"]').getAttribute("action");
		const subscriptionPath = rotate?.replace(/\/secret$/, "");

		const integration = await newIntegration();
		// An alias no service claims yet: recorded all the same, and announced.
		expect(await sendDeploy(integration.webhookUrl, alias)).toBe("no_service_found");
		await until(() => receiver.received.length >= 2);
		expect(receiver.received.length).toBe(2);
		const [first, second] = receiver.received;
		expect(second?.headers["webhook-id"]).toBe(first?.headers["webhook-id"]);
		const event = new Webhook(secret).verify(second?.body ?? "", second?.headers ?? {});
		expect(event).toMatchObject({ type: "deploy.recorded", data: { alias } });

		await page.goto(subscriptionPath ?? "");
		const row = page.locator("tbody tr").first();
		await expect(row.locator('[data-label="State"]').textContent()).resolves.toBe("delivered");
		await expect(row.locator('[data-label="Attempts"]').textContent()).resolves.toBe("2");
		await expect(page.getByText(secret).count()).resolves.toBe(0);
		await screenshot(page, "50-notification-log");

		await row.getByRole("button", { name: "Redeliver" }).click();
		await until(() => receiver.received.length >= 3);
		expect(receiver.received.map((r) => r.headers["webhook-id"])).toEqual(Array(3).fill(first?.headers["webhook-id"]));
	});
});
