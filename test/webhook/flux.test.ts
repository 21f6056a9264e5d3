import { describe, expect, it } from "vitest";
import { admin, api, call, expectError, type Integration, parseResponse, unique } from "../helpers";

// Events shaped as Flux's notification-controller posts them to a generic
// Provider (the Event type of fluxcd/pkg; examples from Flux's docs).

const SHA = "4f2b8c6a1e0d9f7b3a5c2e1d0f9a8b7c6d5e4f3a";

/** A Flux integration, as the Flux tile makes it; its URL is the one the Provider's Secret holds. */
async function fluxIntegration(): Promise<Integration> {
	const { status, body } = await admin<Integration>("POST", "/integrations", { name: unique("flux"), kind: "flux" });
	expect(status).toBe(201);
	return body;
}

/** kustomize-controller's event for a Kustomization named `name` that applied `revision`. */
function applied(name: string, overrides: Record<string, unknown> = {}) {
	return {
		involvedObject: {
			apiVersion: "kustomize.toolkit.fluxcd.io/v1",
			kind: "Kustomization",
			name,
			namespace: "flux-system",
			uid: "7d0cdc51-ddcf-4743-b223-83ca5c699632",
		},
		severity: "info",
		timestamp: "2026-11-30T10:00:42Z",
		message: "Reconciliation finished in 2.1s, next run in 10m0s",
		reason: "ReconciliationSucceeded",
		metadata: { revision: `main@sha1:${SHA}`, commit_status: "update", environment: "production" },
		reportingController: "kustomize-controller",
		reportingInstance: "kustomize-controller-7c7b47f5f-8bhrp",
		...overrides,
	};
}

/** kustomize-controller's error for the same Kustomization. */
const failed = (name: string, overrides: Record<string, unknown> = {}) =>
	applied(name, {
		severity: "error",
		reason: "HealthCheckFailed",
		message: "health check failed after 5m0s: timeout waiting for: [Deployment/apps/shop status: 'InProgress']",
		timestamp: "2026-11-30T10:05:42Z",
		...overrides,
	});

async function post(integration: Integration, body: unknown) {
	const url = new URL(integration.webhook_url);
	return parseResponse(
		await call(url.pathname, {
			method: "POST",
			headers: { "Content-Type": "application/json", "Gotk-Component": "kustomize-controller" },
			body: typeof body === "string" ? body : JSON.stringify(body),
		}),
	);
}

/** What the integration recorded, oldest first, as the API shows it. */
async function recorded(integration: Integration) {
	const { deploys } = await api.listDeploys({ integration: integration.id, limit: 200 });
	return deploys
		.map((d: any) => ({
			service_alias: d.service_alias,
			environment: d.environment,
			status: d.status,
			deployed_at: d.deployed_at,
			commit: d.commit,
			deployer: d.deployer?.name,
			description: d.description,
		}))
		.reverse();
}

describe("a Flux integration's URL", () => {
	it("is /integrations/flux/<token>, the route that reads Flux's events", async () => {
		const integration = await fluxIntegration();
		expect(new URL(integration.webhook_url).pathname).toMatch(/^\/integrations\/flux\/[0-9a-f-]{36}$/);
	});

	it("records a Kustomization that applied a revision as a successful deploy of it", async () => {
		const integration = await fluxIntegration();
		const name = unique("shop");
		const res = await post(integration, applied(name));
		expect(res).toEqual({
			status: 202,
			body: { result: "no_service_found", message: expect.stringContaining(`alias '${name}'`) },
		});
		expect(await recorded(integration)).toEqual([
			{
				service_alias: name,
				environment: "production",
				status: "success",
				deployed_at: "2026-11-30T10:00:42.000Z",
				commit: expect.objectContaining({ sha: SHA, branch: "main" }),
				deployer: "Flux",
				description: "Reconciliation finished in 2.1s, next run in 10m0s",
			},
		]);
	});

	it("records an error as a failed deploy once per revision, and the revision's later success as its own deploy", async () => {
		const integration = await fluxIntegration();
		const name = unique("shop");
		// Flux repeats the error at every retry.
		expect((await post(integration, failed(name))).body).toEqual({
			result: "no_service_found",
			message: expect.any(String),
		});
		expect((await post(integration, failed(name, { timestamp: "2026-11-30T10:10:42Z" }))).body).toEqual({
			result: "duplicate_deploy",
			message: expect.any(String),
		});
		expect((await post(integration, applied(name, { timestamp: "2026-11-30T10:20:00Z" }))).status).toBe(202);
		// A reconciliation of the same revision is no new deploy; a new revision is.
		expect((await post(integration, applied(name, { timestamp: "2026-11-30T10:30:00Z" }))).body.result).toBe(
			"duplicate_deploy",
		);
		const next = "0123456789abcdef0123456789abcdef01234567";
		await post(
			integration,
			applied(name, { timestamp: "2026-11-30T10:40:00Z", metadata: { revision: `main@sha1:${next}` } }),
		);
		expect((await recorded(integration)).map((d) => [d.status, d.commit?.sha, d.environment])).toEqual([
			["failure", SHA, "production"],
			["success", SHA, "production"],
			// Without eventMetadata environment: the object's namespace.
			["success", next, "flux-system"],
		]);
	});

	it("reads a revision whose key keeps its group, in the pre-2.0 `<branch>/<sha>` form", async () => {
		const integration = await fluxIntegration();
		const name = unique("webapp");
		// The example in Flux's Event docs.
		await post(
			integration,
			failed(name, {
				reason: "ValidationFailed",
				message: "service/apps/webapp validation error: spec.type: Unsupported value: Ingress",
				metadata: { "kustomize.toolkit.fluxcd.io/revision": `main/${SHA}` },
			}),
		);
		expect(await recorded(integration)).toEqual([
			expect.objectContaining({
				status: "failure",
				environment: "flux-system",
				commit: expect.objectContaining({ sha: SHA, branch: "main" }),
				description: "service/apps/webapp validation error: spec.type: Unsupported value: Ingress",
			}),
		]);
	});

	it("keeps the start of a message too long for a deploy's description, rather than losing the deploy", async () => {
		const integration = await fluxIntegration();
		const objects = Array.from({ length: 2000 }, (_, i) => `Deployment/apps/worker-${i} status: 'InProgress'`);
		const message = `health check failed after 5m0s: timeout waiting for: [${objects.join(", ")}]`;
		expect(message.length).toBeGreaterThan(39_000);
		expect((await post(integration, failed(unique("shop"), { message }))).status).toBe(202);
		expect((await recorded(integration)).map((d) => d.description)).toEqual([message.slice(0, 10_000)]);
	});

	it("records each HelmRelease install and upgrade, a values change under the same chart version too", async () => {
		const integration = await fluxIntegration();
		const name = unique("podinfo");
		// helm-controller's event; the notification-controller drops its values `token` before posting.
		const action = (reason: string, timestamp: string) => ({
			involvedObject: { apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", name, namespace: "apps" },
			severity: "info",
			timestamp,
			message: `Helm ${reason === "InstallSucceeded" ? "install" : "upgrade"} succeeded for release apps/${name} with chart podinfo@6.5.4`,
			reason,
			metadata: { revision: "6.5.4", app_version: "6.5.4" },
			reportingController: "helm-controller",
		});
		await post(integration, action("InstallSucceeded", "2026-11-30T11:00:00Z"));
		// The notification-controller retries a POST with the same event.
		expect((await post(integration, action("InstallSucceeded", "2026-11-30T11:00:00Z"))).body.result).toBe(
			"duplicate_deploy",
		);
		await post(integration, action("UpgradeSucceeded", "2026-11-30T12:00:00Z"));
		await post(integration, action("UpgradeSucceeded", "2026-11-30T13:00:00Z"));
		expect((await recorded(integration)).map((d) => [d.status, d.commit?.sha, d.deployed_at])).toEqual([
			["success", "6.5.4", "2026-11-30T11:00:00.000Z"],
			["success", "6.5.4", "2026-11-30T12:00:00.000Z"],
			["success", "6.5.4", "2026-11-30T13:00:00.000Z"],
		]);
	});

	it.each([
		["progress", applied("x", { reason: "Progressing", message: "Deployment/apps/shop configured" })],
		["a dependency wait", applied("x", { reason: "DependencyNotReady", message: "dependency 'infra' is not ready" })],
		["a trace", applied("x", { severity: "trace" })],
		[
			"a source's new artifact",
			applied("x", {
				involvedObject: { kind: "GitRepository", name: "x", namespace: "flux-system" },
				reason: "NewArtifact",
				message: "stored artifact for commit 'Ship it'",
			}),
		],
		["an error naming no revision", failed("x", { reason: "ArtifactFailed", metadata: {} })],
		// Reasons are looked up among the table's own keys, never its prototype's.
		["a reason named after Object's prototype", applied("x", { reason: "constructor" })],
		["a reason named __proto__", applied("x", { reason: "__proto__" })],
	])("answers %s 202 ignored and records nothing", async (_, event) => {
		const integration = await fluxIntegration();
		expect(await post(integration, event)).toEqual({
			status: 202,
			body: { result: "ignored", message: expect.stringMatching(/^Not a deploy: /) },
		});
		expect(await recorded(integration)).toEqual([]);
	});

	it.each([
		["no body", "", "Body Error"],
		["not JSON", "{involvedObject", "Body Error"],
		[
			"a Custom Deploy body",
			{ service: "shop", description: "x", deployed_at: "2026-11-30T10:00:00Z" },
			"InvolvedObject Error",
		],
		[
			"no object name",
			applied("x", { involvedObject: { kind: "Kustomization", namespace: "a" } }),
			"InvolvedObject name Error",
		],
		["a bad timestamp", applied("x", { timestamp: "yesterday" }), "Timestamp Error"],
		["metadata that is not strings", applied("x", { metadata: { revision: 7 } }), "Metadata revision Error"],
		["an overlong name", applied("x".repeat(256)), "InvolvedObject name Error"],
	])("refuses %s with a 400 in the errors shape, recording nothing", async (_, body, title) => {
		const integration = await fluxIntegration();
		expectError(await post(integration, body), 400, title);
		expect(await recorded(integration)).toEqual([]);
	});

	it("answers 404 for a URL that is no integration's, and 405 to anything but POST", async () => {
		expectError(
			await parseResponse(await call(`/integrations/flux/${crypto.randomUUID()}`, { method: "POST", body: "{}" })),
			404,
		);
		expectError(await parseResponse(await call("/integrations/flux/not/a/url", { method: "POST" })), 404);
		const integration = await fluxIntegration();
		const res = await call(new URL(integration.webhook_url).pathname);
		expect(res.headers.get("Allow")).toBe("POST");
		expectError(await parseResponse(res), 405);
	});

	it("stops accepting the URL once the integration is revoked", async () => {
		const integration = await fluxIntegration();
		expect((await admin("DELETE", `/integrations/${integration.id}`)).status).toBe(204);
		expectError(await post(integration, applied(unique("shop"))), 404);
	});
});
