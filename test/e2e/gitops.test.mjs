// The GitOps setups (examples/argocd-notifications.yml, examples/flux-alert.yml):
// each checked against its resources' own schemas from npm, then played as
// its controller plays it, against `wrangler dev`, starting from what the
// integration page shows. Argo CD's webhook body is rendered by Go's own
// text/template (compiled to WebAssembly) from sample Applications that pass
// Argo CD's Application schema; Flux's generic Provider posts the event as is.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as render } from "@evertdespiegeleer/go-template";
import { Application } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1";
import { Alert, Provider } from "@kubernetes-models/flux-cd/notification.toolkit.fluxcd.io/v1beta3";
import { ConfigMap } from "kubernetes-models/v1";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { deploysOf, newIntegration, onlyDeployOf, pageParts, ROOT } from "./pipelines.mjs";

const source = (/** @type {string} */ path) => readFileSync(join(ROOT, path), "utf8");
const ARGOCD = source("examples/argocd-notifications.yml");
const FLUX = source("examples/flux-alert.yml");
const SHA = "4f2b8c6a1e0d9f7b3a5c2e1d0f9a8b7c6d5e4f3a";

/**
 * A kind's integration and what its page offers: the snippet, checked to be
 * the example file, the instruction, and the URL shown beside it, never inside it.
 * @param {"argocd" | "flux"} kind
 * @param {string} example
 */
async function setUp(kind, example) {
	const integration = await newIntegration(kind);
	const part = await pageParts(`/integrations/${integration.id}`);
	const snippet = part("snippet", /<pre id="snippet">([^<]*)<\/pre>/);
	const secret = part("webhook URL", /<input id="webhook-url" type="text" readonly="" value="([^"]*)"/);
	const instruction = part("instruction", /<label for="webhook-url">([^<]*)</);
	expect(snippet).toBe(example);
	expect(secret).toBe(integration.webhookUrl);
	expect(snippet).not.toContain(secret);
	return {
		...integration,
		secret,
		instruction,
		trial: () => part("trial", /<div class="panel empty">[\s\S]*?<pre>([^<]*)<\/pre>/),
	};
}

describe("Argo CD Notifications (examples/argocd-notifications.yml)", () => {
	const configMap = parse(ARGOCD);
	/** @param {string} key */
	const entry = (key) => parse(configMap.data[key]);
	const template = entry("template.deploy-tracker").webhook["deploy-tracker"];
	const triggers = entry("trigger.on-sync-finished-deploy-tracker");
	const argocdUrl = entry("context").argocdUrl;

	it("is a valid ConfigMap whose service, template and trigger name each other", () => {
		new ConfigMap(configMap).validate();
		expect(() => new ConfigMap({ ...configMap, data: { ...configMap.data, x: 1 } }).validate()).toThrow();
		// Argo CD replaces `$<key>` with that key of argocd-notifications-secret: the URL stays in the Secret.
		expect(entry("service.webhook.deploy-tracker").url).toBe("$deploy-tracker-url");
		expect(template.method).toBe("POST");
		expect(triggers.map((/** @type {any} */ t) => [t.when, t.oncePer, t.send])).toEqual([
			[
				"app.status.operationState != nil and app.status.operationState.phase in ['Succeeded']",
				"app.status.sync.revision",
				["deploy-tracker"],
			],
			[
				"app.status.operationState != nil and app.status.operationState.phase in ['Error', 'Failed']",
				"app.status.sync.revision",
				["deploy-tracker"],
			],
		]);
		// The subscription the file tells users to add names that trigger and that service.
		expect(ARGOCD).toContain(
			'#      notifications.argoproj.io/subscribe.on-sync-finished-deploy-tracker.deploy-tracker: ""\n',
		);
	});

	it("tells where the URL goes: the key the service reads, in argocd-notifications-secret", async () => {
		const { instruction } = await setUp("argocd", ARGOCD);
		expect(instruction).toContain(
			"Store this URL as the key deploy-tracker-url (in the Secret argocd-notifications-secret",
		);
	});

	/**
	 * An Application whose sync ended as `phase`, as Argo CD stores it; checked against Argo CD's Application schema.
	 * @param {{ name: string, phase: string, initiatedBy?: object, annotations?: Record<string, string>, revision?: string, message?: string }} app
	 */
	function application({ name, phase, initiatedBy = { automated: true }, annotations = {}, revision = SHA, message }) {
		const sync = { revision, status: phase === "Succeeded" ? "Synced" : "OutOfSync" };
		const app = {
			apiVersion: "argoproj.io/v1alpha1",
			kind: "Application",
			metadata: {
				name,
				namespace: "argocd",
				annotations: {
					"notifications.argoproj.io/subscribe.on-sync-finished-deploy-tracker.deploy-tracker": "",
					...annotations,
				},
			},
			spec: {
				project: "default",
				source: { repoURL: "https://github.com/acme/shop-deploy.git", path: "prod", targetRevision: "main" },
				destination: { server: "https://kubernetes.default.svc", namespace: "shop-prod" },
				syncPolicy: { automated: { prune: true, selfHeal: true } },
			},
			status: {
				sync: revision ? sync : { status: sync.status },
				health: { status: phase === "Succeeded" ? "Healthy" : "Degraded" },
				operationState: {
					operation: { sync: { revision }, initiatedBy },
					phase,
					message:
						message ??
						(phase === "Succeeded" ? "successfully synced (all tasks run)" : "one or more objects failed to apply"),
					startedAt: "2026-11-30T10:00:00Z",
					finishedAt: "2026-11-30T10:00:42Z",
					syncResult: { revision, source: { repoURL: "https://github.com/acme/shop-deploy.git" } },
				},
			},
		};
		new Application(/** @type {any} */ (app)).validate();
		return app;
	}

	/**
	 * The body Argo CD would send for `app`, rendered by Go's text/template. The
	 * renderer fails on any missing key (Argo CD's does not): the template reads
	 * optional fields with index, so it renders under both.
	 * @param {object} app
	 * @param {Record<string, string>} [context]
	 */
	const bodyFor = (app, context = { argocdUrl }) => render(template.body, { app, context, serviceType: "webhook" });

	/**
	 * Posts `body` as Argo CD's webhook service does.
	 * @param {string} url
	 * @param {string} body
	 */
	const send = async (url, body) => {
		const response = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body });
		return { status: response.status, body: await response.json() };
	};

	it.each([
		{ phase: "Succeeded", status: "success" },
		{ phase: "Failed", status: "failure" },
		{ phase: "Error", status: "failure" },
	])(
		"a sync that ends $phase is one $status deploy, however often Argo CD retries the POST",
		async ({ phase, status }) => {
			const { id, secret } = await setUp("argocd", ARGOCD);
			const name = `shop-${phase.toLowerCase()}`;
			const body = await bodyFor(application({ name, phase }));
			expect((await send(secret, body)).status).toBe(202);
			expect(await send(secret, body)).toEqual({
				status: 202,
				body: expect.objectContaining({ result: "duplicate_deploy" }),
			});
			expect(await onlyDeployOf(id)).toMatchObject({
				service_alias: name,
				environment: "shop-prod",
				status,
				status_raw: phase,
				deployed_at: "2026-11-30T10:00:42.000Z",
				dedup_id: `argocd:argocd/${name}:2026-11-30T10:00:00Z`,
				deploy_url: `${argocdUrl}/applications/argocd/${name}`,
				deployer: { name: "Argo CD" },
				commit: { sha: SHA },
			});
		},
	);

	it("names the user who synced, and the environment the annotation gives, quotes and all", async () => {
		const { id, secret } = await setUp("argocd", ARGOCD);
		const environment = `prod "eu" \\ it's <b>&amp;</b>\tπ 🚀`;
		const message = 'failed: Deployment.apps "shop" is invalid:\nspec.replicas: must be >= 0';
		const app = application({
			name: "shop",
			phase: "Failed",
			initiatedBy: { username: "ada@example.com" },
			annotations: { "deploy-tracker/environment": environment },
			message,
		});
		expect((await send(secret, await bodyFor(app))).status).toBe(202);
		expect(await onlyDeployOf(id)).toMatchObject({
			environment,
			description: `Argo CD sync of shop: ${message}`,
			deployer: { name: "ada@example.com" },
		});
	});

	it("leaves out the link without an argocdUrl, and the commit for a multi-source Application", async () => {
		const { id, secret } = await setUp("argocd", ARGOCD);
		const app = application({ name: "shop", phase: "Succeeded", revision: "" });
		expect((await send(secret, await bodyFor(app, {}))).status).toBe(202);
		const deploy = await onlyDeployOf(id);
		expect([deploy.deploy_url, deploy.commit]).toEqual([null, null]);
	});
});

describe("Flux (examples/flux-alert.yml)", () => {
	const [provider, alert] = parseAllDocuments(FLUX).map((doc) => doc.toJS());

	it("is a valid Provider and Alert by Flux's own CRD schemas", () => {
		new Provider(provider).validate();
		new Alert(alert).validate();
		// The schemas do reject a wrong one.
		expect(() => new Alert({ ...alert, spec: { ...alert.spec, eventSeverity: "warning" } }).validate()).toThrow(
			/eventSeverity/,
		);
	});

	it("posts Flux's events for Kustomizations and HelmReleases to the URL kept in the Secret the page names", async () => {
		const { instruction } = await setUp("flux", FLUX);
		expect(instruction).toContain(
			`Store this URL as the address key of a Secret named ${provider.spec.secretRef.name}`,
		);
		expect(provider.spec).toEqual({ type: "generic", secretRef: { name: "deploy-tracker-webhook" } });
		expect(alert.spec.providerRef.name).toBe(provider.metadata.name);
		expect(alert.spec.eventSources.map((/** @type {any} */ s) => s.kind)).toEqual(["Kustomization", "HelmRelease"]);
		// info lets the successes through as well as the errors.
		expect(alert.spec.eventSeverity).toBe("info");
	});

	/**
	 * The notification-controller's POST of an event to the generic Provider, with the Alert's eventMetadata added.
	 * @param {string} url
	 * @param {Record<string, unknown>} event
	 */
	const notify = async (url, event) => {
		const metadata = { .../** @type {object} */ (event.metadata), ...alert.spec.eventMetadata };
		const response = await fetch(url, {
			method: "POST",
			headers: { "Content-Type": "application/json", "Gotk-Component": String(event.reportingController) },
			body: JSON.stringify({ ...event, metadata }),
		});
		return { status: response.status, body: await response.json() };
	};

	it("records a reconciled Kustomization once, in the Alert's environment, and ignores its progress", async () => {
		const { id, secret, trial } = await setUp("flux", FLUX);
		// The terminal trial sends the Custom Deploy body, which this URL does not read: the page offers none.
		expect(trial).toThrow(/shows no trial/);
		const event = {
			involvedObject: {
				apiVersion: "kustomize.toolkit.fluxcd.io/v1",
				kind: "Kustomization",
				name: "shop",
				namespace: "flux-system",
			},
			severity: "info",
			timestamp: "2026-11-30T10:00:42Z",
			reason: "Progressing",
			message: "Deployment/shop/shop configured",
			metadata: { revision: `main@sha1:${SHA}` },
			reportingController: "kustomize-controller",
		};
		expect((await notify(secret, event)).body.result).toBe("ignored");
		expect(await deploysOf(id)).toEqual([]);
		const done = {
			...event,
			reason: "ReconciliationSucceeded",
			message: "Reconciliation finished in 2.1s, next run in 10m0s",
		};
		expect((await notify(secret, done)).status).toBe(202);
		expect((await notify(secret, { ...done, timestamp: "2026-11-30T10:10:42Z" })).body.result).toBe("duplicate_deploy");
		expect(await onlyDeployOf(id)).toMatchObject({
			service_alias: "shop",
			environment: alert.spec.eventMetadata.environment,
			status: "success",
			commit: { sha: SHA, branch: "main" },
			deployer: { name: "Flux" },
			agent: "flux",
		});
	});
});
