import { HttpResponse, http } from "msw";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { acceptedDeploy, admin, api, integrationBeforeAll, unique } from "../helpers";
import { deliveriesOf, eventually, subscribe } from "./helpers";
import { type Received, receiver, receiverServer } from "./receiver";

// Deploys go through the real webhook, ledger, D1 and queue: the test pool runs
// wrangler.toml's consumer, so each delivery here is the queue's doing.

beforeAll(() => receiverServer.listen({ onUnhandledRequest: "bypass" }));
afterAll(() => receiverServer.close());

const integration = integrationBeforeAll("Notifications");

/** What a receiver verified with the standardwebhooks package: its type and deploy, and the webhook-id. */
function verified(secret: string | null, received: Received) {
	const event = new Webhook(secret ?? "").verify(received.body, received.headers) as any;
	return { id: received.headers["webhook-id"], type: event.type, alias: event.data.alias, status: event.data.status };
}

const waitFor = (hook: { received: Received[] }, count: number) =>
	eventually(
		() => hook.received,
		(r) => r.length >= count,
	);

describe("a webhook subscription", () => {
	it("never holds up ingest: the webhook has answered while a slow receiver still has the delivery", async () => {
		const hook = receiver(unique("slow"), [], 3_000);
		const alias = unique("svc");
		await subscribe({ url: hook.url, events: ["deploy.recorded"] });

		await acceptedDeploy(integration.webhook_url, { service: alias });
		expect(hook.answered).toBe(0);
		const [received] = await waitFor(hook, 1);
		expect(JSON.parse(received?.body ?? "{}").data?.alias).toBe(alias);
	});

	it("delivers a recorded deploy as the Standard Webhooks payload, signed", async () => {
		const hook = receiver(unique("ok"));
		const alias = unique("svc");
		const { id, secret } = await subscribe({ url: hook.url, events: ["deploy.recorded"] });
		await acceptedDeploy(integration.webhook_url, {
			service: alias,
			environment: "Staging",
			deploy_number: "7",
			status: "success",
			deploy_url: "https://ci.example.com/run/7",
		});
		const [received] = await waitFor(hook, 1);
		if (!received) throw new Error("nothing was delivered");
		const event = new Webhook(secret ?? "").verify(received.body, received.headers) as any;
		expect(event).toEqual({
			type: "deploy.recorded",
			timestamp: expect.stringMatching(/Z$/),
			data: {
				id: expect.any(String),
				service: null,
				alias,
				environment: "Staging",
				number: "7",
				status: "success",
				rollback: false,
				deployer: { name: "Michael Scott", email: "michael@example.com" },
				commit: {
					sha: "38d02f1d7aab64678a7ad3eeb2ad2887ce7253f5",
					branch: "master",
					message: "Merge branch 'fix-tax-rate' into 'master'",
				},
				deployed_at: "2019-02-01T13:28:33.000Z",
				links: {
					deploy: `https://deploys.example.com/deploys/${event.data.id}`,
					pipeline: "https://ci.example.com/run/7",
				},
			},
		});
		expect((await deliveriesOf(id)).map((d) => ({ id: d.id, state: d.state, attempts: d.attempts }))).toEqual([
			{ id: received.headers["webhook-id"], state: "delivered", attempts: 1 },
		]);
	});

	it("retries a failing receiver with the same webhook-id until it takes the delivery", async () => {
		const hook = receiver(unique("flaky"), [500]);
		const alias = unique("svc");
		const { id, secret } = await subscribe({ url: hook.url, events: ["deploy.recorded"] });
		await acceptedDeploy(integration.webhook_url, { service: alias });
		const received = await waitFor(hook, 2);
		const [first, second] = received.map((r) => verified(secret, r));
		expect(second).toEqual(first);
		const log = await eventually(
			() => deliveriesOf(id),
			(d) => d[0]?.state === "delivered",
		);
		expect(log.map((d) => ({ id: d.id, state: d.state, attempts: d.attempts, last_error: d.last_error }))).toEqual([
			{ id: first?.id, state: "delivered", attempts: 2, last_error: null },
		]);
	});

	it("sends a status change, and a failure, once each, however often the deploy is repeated", async () => {
		const hook = receiver(unique("status"));
		const alias = unique("svc");
		const { secret } = await subscribe({ url: hook.url });
		const { dedupId } = await acceptedDeploy(integration.webhook_url, { service: alias, status: "running" });
		await waitFor(hook, 1);
		await acceptedDeploy(integration.webhook_url, { service: alias, status: "failed", dedup_id: dedupId });
		// A repeat of the same news: no new event.
		await acceptedDeploy(integration.webhook_url, { service: alias, status: "failed", dedup_id: dedupId });
		const received = await waitFor(hook, 3);
		await new Promise((resolve) => setTimeout(resolve, 1_500));
		expect(
			received
				.map((r) => verified(secret, r))
				.map(({ type, status }) => ({ type, status }))
				.sort((a, b) => a.type.localeCompare(b.type)),
		).toEqual([
			{ type: "deploy.failed", status: "failure" },
			{ type: "deploy.recorded", status: "running" },
			{ type: "deploy.status_changed", status: "failure" },
		]);
	});

	it("sends a rollback as deploy.rolled_back", async () => {
		const hook = receiver(unique("rollback"));
		const alias = unique("svc");
		const { secret } = await subscribe({ url: hook.url, events: ["deploy.rolled_back"] });
		const sha = (n: number) => String(n).repeat(40);
		for (const [n, at] of [
			[1, "2026-01-01 10:00:00"],
			[2, "2026-01-02 10:00:00"],
			[1, "2026-01-03 10:00:00"],
		] as const) {
			await acceptedDeploy(integration.webhook_url, { service: alias, deployed_at: at, commit: { sha: sha(n) } });
		}
		const [received] = await waitFor(hook, 1);
		if (!received) throw new Error("nothing was delivered");
		expect(verified(secret, received)).toMatchObject({ type: "deploy.rolled_back", alias });
	});
});

describe("filters", () => {
	it("by service, team and environment: each subscription hears only its own deploys", async () => {
		const [mine, theirs] = [await api.createService(unique("mine")), await api.createService(unique("theirs"))];
		const team = await admin("POST", "/teams", { name: unique("team") });
		expect((await admin("PUT", `/services/${mine.id}/team`, { team_id: team.body.id })).status).toBe(200);
		const hooks = {
			service: receiver(unique("by-service")),
			team: receiver(unique("by-team")),
			env: receiver(unique("by-env")),
		};
		const events = ["deploy.recorded"];
		const secrets = {
			service: (await subscribe({ url: hooks.service.url, service_id: mine.id, events })).secret,
			team: (await subscribe({ url: hooks.team.url, team_id: team.body.id, events })).secret,
			env: (await subscribe({ url: hooks.env.url, environment: "QA-Filter", events })).secret,
		};
		await acceptedDeploy(integration.webhook_url, { service: mine.name, environment: "Production" });
		await acceptedDeploy(integration.webhook_url, { service: theirs.name, environment: "qa-filter" });
		await Promise.all(Object.values(hooks).map((hook) => waitFor(hook, 1)));
		await new Promise((resolve) => setTimeout(resolve, 1_500));
		const heard = (hook: { received: Received[] }, secret: string | null) =>
			hook.received.map((r) => verified(secret, r).alias);
		expect({
			service: heard(hooks.service, secrets.service),
			team: heard(hooks.team, secrets.team),
			env: heard(hooks.env, secrets.env),
		}).toEqual({ service: [mine.name], team: [mine.name], env: [theirs.name] });
	});
});

describe("a Slack subscription", () => {
	it("posts a readable message: service, environment, number, status, who, commit and links", async () => {
		const messages: unknown[] = [];
		const path = `/services/T0001/B0002/${unique("key")}`;
		receiverServer.use(
			http.post(`https://hooks.slack.com${path}`, async ({ request }) => {
				messages.push(await request.json());
				return new HttpResponse("ok");
			}),
		);
		const alias = unique("svc");
		await subscribe({ kind: "slack", url: `https://hooks.slack.com${path}`, events: ["deploy.failed"] });
		await acceptedDeploy(integration.webhook_url, {
			service: alias,
			environment: "Production",
			deploy_number: "42",
			status: "failed",
			deploy_url: "https://ci.example.com/run/42?a=1&b=2",
			commit: {
				sha: "abcdef1234567890abcdef1234567890abcdef12",
				branch: "main",
				message: "Fix <b>tax</b> & rates\nmore",
			},
		});
		const [message] = await eventually(
			() => messages,
			(m) => m.length > 0,
		);
		const deployId = (message as any)?.blocks?.[0]?.text?.text.match(/\/deploys\/([^|]+)\|/)?.[1];
		expect(message).toEqual({
			text: `Deploy failed: ${alias} #42 to Production: failure`,
			blocks: [
				{
					type: "section",
					text: {
						type: "mrkdwn",
						text: [
							`*Deploy failed*: <https://deploys.example.com/deploys/${deployId}|${alias} #42> to Production, *failure*`,
							"By Michael Scott",
							"`abcdef1` on main Fix &lt;b&gt;tax&lt;/b&gt; &amp; rates",
							"<https://ci.example.com/run/42?a=1&amp;b=2|Pipeline run>",
						].join("\n"),
					},
				},
			],
		});
	});
});
