import examples from "@octokit/webhooks-examples";
import { sign } from "@octokit/webhooks-methods";
import { describe, expect, it } from "vitest";
import { admin, api, call, expectError, parseResponse, unique } from "../helpers";

// GitHub's documented example payloads (@octokit/webhooks-examples), signed by
// Octokit's own implementation, posted to a GitHub integration's URL.

type GitHubIntegration = { id: string; webhook_url: string; signing_secret: string };

async function githubIntegration(): Promise<GitHubIntegration> {
	const res = await admin<GitHubIntegration>("POST", "/integrations", { name: unique("GitHub"), kind: "github" });
	expect(res.status).toBe(201);
	return res.body;
}

/** GitHub's first documented example of `event`, as a fresh object to change. */
function example(event: string, index = 0): any {
	const found = examples.find((e) => e.name === event)?.examples[index];
	if (!found) throw new Error(`no example of ${event} #${index}`);
	return structuredClone(found);
}

/** A `deployment` or `deployment_status` example made this test's own: a fresh deployment id and repository. */
function deploymentOf(event: "deployment" | "deployment_status", id: number, repo: string, index = 0) {
	const body = example(event, index);
	body.deployment.id = id;
	body.repository.full_name = repo;
	return body;
}

/** A status event of deployment `id` in `state`, from GitHub's example. */
function statusOf(id: number, repo: string, state: string) {
	const body = deploymentOf("deployment_status", id, repo);
	body.deployment_status.state = state;
	return body;
}

/** POSTs `body` as GitHub would: the event in X-GitHub-Event, signed with `secret` unless headers say otherwise. */
async function deliver(
	url: string,
	event: string,
	body: unknown,
	secret: string,
	headers: Record<string, string | undefined> = {},
) {
	const text = typeof body === "string" ? body : JSON.stringify(body);
	const all: Record<string, string | undefined> = {
		"Content-Type": "application/json",
		"X-GitHub-Event": event,
		"X-GitHub-Delivery": crypto.randomUUID(),
		"X-Hub-Signature-256": await sign(secret, text),
		...headers,
	};
	const sent = Object.fromEntries(Object.entries(all).filter((e): e is [string, string] => e[1] !== undefined));
	return parseResponse(await call(new URL(url).pathname, { method: "POST", headers: sent, body: text }));
}

let nextId = 900_000_000;
/** A deployment id no other test uses. */
const deploymentId = () => nextId++;

/** What the API lists for an integration: the fields a GitHub deployment fills in. */
async function deploysOf(integrationId: string) {
	const { deploys } = await api.listDeploys({ integration: integrationId, limit: 200 });
	return deploys.map((d: any) => ({
		alias: d.service_alias,
		dedup_id: d.dedup_id,
		status: d.status,
		status_raw: d.status_raw,
		environment: d.environment,
	}));
}

describe("a GitHub integration", () => {
	it("is created with a signing secret, answered once: never listed, shown or audited again", async () => {
		const gh = await githubIntegration();
		expect(gh.signing_secret).toMatch(/^[0-9a-f]{64}$/);
		expect(new URL(gh.webhook_url).pathname).toMatch(/^\/integrations\/github\/[0-9a-f-]{36}$/);
		const later = [
			await admin("GET", `/integrations/${gh.id}`),
			await admin("GET", "/integrations"),
			await admin("GET", `/audit?target_type=integration&target_id=${gh.id}`),
		];
		expect(
			later.map((res) => ({ status: res.status, secret: JSON.stringify(res.body).includes(gh.signing_secret) })),
		).toEqual([
			{ status: 200, secret: false },
			{ status: 200, secret: false },
			{ status: 200, secret: false },
		]);
		// The other kinds have none to answer.
		const deploy = await admin("POST", "/integrations", { name: unique("CI"), kind: "deploy" });
		expect(Object.keys(deploy.body)).not.toContain("signing_secret");
	});

	it("answers a ping, recording nothing", async () => {
		const gh = await githubIntegration();
		expect(await deliver(gh.webhook_url, "ping", example("ping"), gh.signing_secret)).toEqual({
			status: 200,
			body: { result: "pong" },
		});
		expect(await deploysOf(gh.id)).toEqual([]);
	});

	it("ignores, with a 202 and nothing stored, an event it does not record", async () => {
		const gh = await githubIntegration();
		for (const event of ["push", "workflow_run", "deployment_review"]) {
			const body = examples.find((e) => e.name === event)?.examples[0] ?? { zen: "x" };
			const res = await deliver(gh.webhook_url, event, body, gh.signing_secret);
			expect(res).toEqual({ status: 202, body: { result: "ignored", message: expect.stringContaining(event) } });
		}
		expect(await deploysOf(gh.id)).toEqual([]);
	});
});

describe("GitHub's signature", () => {
	// Every one of these is refused before the body is read: 401, nothing stored.
	const attacks: [string, (body: string, secret: string) => Promise<Record<string, string | undefined>>][] = [
		["no signature", async () => ({ "X-Hub-Signature-256": undefined })],
		["an empty signature", async () => ({ "X-Hub-Signature-256": "" })],
		["the wrong secret", async (body) => ({ "X-Hub-Signature-256": await sign("not-the-secret", body) })],
		["the signature of another body", async (_, secret) => ({ "X-Hub-Signature-256": await sign(secret, "{}") })],
		[
			"a truncated signature",
			async (body, secret) => ({ "X-Hub-Signature-256": (await sign(secret, body)).slice(0, -2) }),
		],
		[
			"a signature with a byte more",
			async (body, secret) => ({ "X-Hub-Signature-256": `${await sign(secret, body)}0` }),
		],
		[
			"upper-case hex",
			async (body, secret) => ({
				"X-Hub-Signature-256": (await sign(secret, body)).replace(/[a-f]/g, (x) => x.toUpperCase()),
			}),
		],
		[
			"the hex without sha256=",
			async (body, secret) => ({ "X-Hub-Signature-256": (await sign(secret, body)).slice("sha256=".length) }),
		],
		[
			"the same hex under sha1=",
			async (body, secret) => ({ "X-Hub-Signature-256": (await sign(secret, body)).replace("sha256=", "sha1=") }),
		],
		[
			"only the legacy SHA-1 header",
			async () => ({
				"X-Hub-Signature-256": undefined,
				"X-Hub-Signature": "sha1=0000000000000000000000000000000000000000",
			}),
		],
	];

	it.each(attacks)("refuses %s with a 401, storing nothing", async (_, headersFor) => {
		const gh = await githubIntegration();
		const body = JSON.stringify(deploymentOf("deployment", deploymentId(), unique("octo/app")));
		const res = await deliver(
			gh.webhook_url,
			"deployment",
			body,
			gh.signing_secret,
			await headersFor(body, gh.signing_secret),
		);
		expectError(res, 401, "Signature Error");
		expect(await deploysOf(gh.id)).toEqual([]);
	});

	it("refuses a body altered after signing, another integration's secret, and a ping or unknown event unsigned", async () => {
		const [gh, other] = [await githubIntegration(), await githubIntegration()];
		const body = JSON.stringify(deploymentOf("deployment", deploymentId(), unique("octo/app")));
		const signature = await sign(gh.signing_secret, body);
		const altered = body.replace('"production"', '"productioN"');
		expect(altered).not.toEqual(body);
		const results = [
			await deliver(gh.webhook_url, "deployment", altered, gh.signing_secret, { "X-Hub-Signature-256": signature }),
			await deliver(gh.webhook_url, "deployment", body, other.signing_secret),
			await deliver(gh.webhook_url, "ping", "{}", gh.signing_secret, { "X-Hub-Signature-256": undefined }),
			await deliver(gh.webhook_url, "push", "{}", gh.signing_secret, { "X-Hub-Signature-256": undefined }),
		];
		expect(results.map((r) => r.status)).toEqual([401, 401, 401, 401]);
		expect([...(await deploysOf(gh.id)), ...(await deploysOf(other.id))]).toEqual([]);
	});

	it("stops taking the old secret once a new one is generated, which is answered once and audited without it", async () => {
		const gh = await githubIntegration();
		const renewed = await admin<{ signing_secret: string }>("POST", `/integrations/${gh.id}/signing-secret`);
		expect(renewed.status).toBe(200);
		const secret = renewed.body.signing_secret;
		expect(secret).toMatch(/^[0-9a-f]{64}$/);
		expect(secret).not.toEqual(gh.signing_secret);
		const ping = example("ping");
		expect([
			(await deliver(gh.webhook_url, "ping", ping, gh.signing_secret)).status,
			(await deliver(gh.webhook_url, "ping", ping, secret)).status,
		]).toEqual([401, 200]);
		const audit = await admin("GET", `/audit?target_type=integration&target_id=${gh.id}`);
		expect(audit.body.events.map((e: any) => e.action)).toEqual(["integration.signing_secret", "integration.create"]);
		expect(JSON.stringify(audit.body)).not.toContain(secret);
	});

	it("has no secret to renew on another kind of integration", async () => {
		const ci = await api.createIntegration(unique("CI"));
		expectError(await admin("POST", `/integrations/${ci.id}/signing-secret`), 409, "Integration Error");
	});
});

describe("GitHub's URL and the Custom Deploy URL", () => {
	it("takes GitHub's events only at the GitHub URL, and Custom Deploy bodies only at the deploy URL", async () => {
		const gh = await githubIntegration();
		const ci = await api.createIntegration(unique("CI"));
		const token = new URL(gh.webhook_url).pathname.split("/").pop();
		// An unsigned Custom Deploy body to the GitHub integration's token would skip the signature.
		const asCustom = await call(`/integrations/deploy/${token}`, {
			method: "POST",
			body: JSON.stringify({
				service: "x",
				description: "x",
				deployed_at: "2026-01-01T00:00:00Z",
				deployer: { name: "x" },
			}),
		});
		expectError(await parseResponse(asCustom), 404, "Integration Error");
		const ciToken = new URL(ci.webhook_url).pathname.split("/").pop();
		expectError(
			await deliver(`https://x/integrations/github/${ciToken}`, "ping", "{}", "anything"),
			404,
			"Integration Error",
		);
		expectError(await deliver("https://x/integrations/github/not-a-token", "ping", "{}", "anything"), 404);
	});
});

describe("GitHub deployments as deploys", () => {
	it("records a deployment as a queued deploy with GitHub's fields", async () => {
		const gh = await githubIntegration();
		const id = deploymentId();
		const repo = unique("octo/app");
		const body = deploymentOf("deployment", id, repo);
		const res = await deliver(gh.webhook_url, "deployment", body, gh.signing_secret);
		expect(res).toEqual({ status: 202, body: { result: "no_service_found", message: expect.stringContaining(repo) } });
		const { deploys } = await api.listDeploys({ integration: gh.id });
		expect(deploys).toEqual([
			expect.objectContaining({
				service_alias: repo,
				environment: body.deployment.environment,
				deployed_at: new Date(body.deployment.created_at).toISOString(),
				dedup_id: `github-deployment:${id}`,
				status: "queued",
				status_raw: "queued",
				agent: "github",
				description: `GitHub deployment of ${body.deployment.ref} to ${body.deployment.environment}`,
				deploy_url: `${body.repository.html_url}/deployments`,
				deployer: {
					id: String(body.deployment.creator.id),
					email: null,
					name: body.deployment.creator.login,
					person_id: null,
				},
				commit: expect.objectContaining({ sha: body.deployment.sha, branch: body.deployment.ref }),
			}),
		]);
	});

	it("moves the same deploy on with each status, as the status rules say", async () => {
		const gh = await githubIntegration();
		const service = await api.createService(unique("App"), [unique("octo/app")]);
		const [repo] = service.aliases as [string];
		const id = deploymentId();
		const answers = [];
		answers.push(await deliver(gh.webhook_url, "deployment", deploymentOf("deployment", id, repo), gh.signing_secret));
		for (const state of ["pending", "in_progress", "queued", "success", "inactive"]) {
			answers.push(await deliver(gh.webhook_url, "deployment_status", statusOf(id, repo, state), gh.signing_secret));
		}
		expect(answers.map((a) => `${a.status} ${a.body.result}`)).toEqual([
			"202 ok",
			// pending reads as queued, which the deploy already is.
			"202 duplicate_deploy",
			"202 ok",
			// Statuses never move back.
			"202 duplicate_deploy",
			"202 ok",
			// Superseded by a newer deployment: it did run, so it stays a success.
			"202 ignored",
		]);
		expect(await deploysOf(gh.id)).toEqual([
			{
				alias: repo,
				dedup_id: `github-deployment:${id}`,
				status: "success",
				status_raw: "success",
				environment: "production",
			},
		]);
	});

	it.each([
		["error", "failure"],
		["failure", "failure"],
		["in_progress", "running"],
		["queued", "queued"],
		["pending", "queued"],
		["success", "success"],
	])("reads a first status %s as %s, creating the deploy the deployment event would have", async (state, status) => {
		const gh = await githubIntegration();
		const id = deploymentId();
		const res = await deliver(gh.webhook_url, "deployment_status", statusOf(id, "octo/app", state), gh.signing_secret);
		expect(res.status).toBe(202);
		expect((await deploysOf(gh.id)).map((d: any) => [d.status, d.status_raw])).toEqual([[status, state]]);
	});

	it("records nothing for an inactive status of a deployment it never saw", async () => {
		const gh = await githubIntegration();
		const res = await deliver(
			gh.webhook_url,
			"deployment_status",
			statusOf(deploymentId(), "octo/app", "inactive"),
			gh.signing_secret,
		);
		expect(res).toEqual({ status: 202, body: { result: "ignored", message: expect.any(String) } });
		expect(await deploysOf(gh.id)).toEqual([]);
	});

	it("links a deploy first seen by its status to the status's log", async () => {
		const gh = await githubIntegration();
		// GitHub's example with a log_url and a target_url.
		const body = deploymentOf("deployment_status", deploymentId(), "octo/app", 1);
		expect(body.deployment_status.log_url).toMatch(/^https:/);
		await deliver(gh.webhook_url, "deployment_status", body, gh.signing_secret);
		const { deploys } = await api.listDeploys({ integration: gh.id });
		expect(deploys.map((d: any) => [d.deploy_url, d.status_raw])).toEqual([
			[body.deployment_status.log_url, "in_progress"],
		]);
	});

	it("takes the service a deployment's payload names over the repository, for a monorepo", async () => {
		const gh = await githubIntegration();
		const service = await api.createService(unique("Cart"), [unique("cart")]);
		const body = deploymentOf("deployment", deploymentId(), "octo/monorepo");
		body.deployment.payload = { service: service.aliases[0] };
		const res = await deliver(gh.webhook_url, "deployment", body, gh.signing_secret);
		expect(res).toEqual({ status: 202, body: { result: "ok" } });
		expect((await deploysOf(gh.id)).map((d: any) => d.alias)).toEqual([service.aliases[0]]);
	});

	it("refuses, field by field and storing nothing, a signed event that is not a deployment", async () => {
		const gh = await githubIntegration();
		const noDeployment = example("deployment");
		delete noDeployment.deployment;
		const badState = statusOf(deploymentId(), "octo/app", "exploded");
		const results = [
			await deliver(gh.webhook_url, "deployment", noDeployment, gh.signing_secret),
			await deliver(gh.webhook_url, "deployment_status", badState, gh.signing_secret),
			await deliver(gh.webhook_url, "deployment", "not json", gh.signing_secret),
			await deliver(gh.webhook_url, "deployment", `payload=${encodeURIComponent("{}")}`, gh.signing_secret, {
				"Content-Type": "application/x-www-form-urlencoded",
			}),
			await deliver(gh.webhook_url, "deployment", example("deployment"), gh.signing_secret, {
				"X-GitHub-Event": undefined,
			}),
		];
		for (const res of results) expectError(res, 400);
		expect(results.map((r) => r.body.errors.map((e: any) => e.detail))).toEqual([
			["param is missing or the value is empty: deployment"],
			[
				"param must be one of: error, failure, inactive, in_progress, queued, pending, success: deployment_status.state",
			],
			[expect.stringMatching(/^request body is not valid JSON/)],
			["request body is form-encoded: set the webhook's Content type to application/json"],
			["X-GitHub-Event is missing: GitHub names the event it sends"],
		]);
		expect(await deploysOf(gh.id)).toEqual([]);
	});
});
