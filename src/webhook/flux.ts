import { Hono } from "hono";
import { describeRoute } from "hono-openapi";
import { z } from "zod";
import { allow } from "../access/guard";
import { errors, json, jsonBody } from "../http/openapi";
import { MAX_NAME, object, optional, readJson, requiredDatetime, requiredText, validate } from "../http/validation";
import { sha256Hex } from "../model/hex";
import { results, unknownIntegration } from "./answers";
import { type DeployPayload, LIMITS, parseDeployPayload } from "./payload";
import { findIntegration, limitBody, onlyPost, recordDeploy, takesUnsigned, truncate, type WebhookEnv } from "./route";

// Flux's generic Provider posts its own event JSON and cannot template a body,
// so a Flux integration's URL reads the event and records the deploy it describes.

/** The objects whose reconciliation applies a revision to a cluster: a deploy. Sources only fetch one. */
const DEPLOYERS = ["Kustomization", "HelmRelease"] as const;

/**
 * The info reasons that mean a revision was applied. kustomize-controller says
 * ReconciliationSucceeded at every reconciliation, so it is one deploy per
 * revision; helm-controller says each install and upgrade once, and an upgrade
 * of new values keeps the chart version, so each is a deploy of its own.
 */
const APPLIED = {
	ReconciliationSucceeded: "per revision",
	InstallSucceeded: "each",
	UpgradeSucceeded: "each",
} as const;

/** The event as Flux's notification-controller sends it (fluxcd/pkg apis/event); what the tracker reads of it. */
const fluxEvent = object({
	involvedObject: object({
		kind: requiredText({ max: MAX_NAME }),
		name: requiredText({ max: MAX_NAME }),
		namespace: requiredText({ max: MAX_NAME }),
	}),
	severity: requiredText({ max: MAX_NAME }),
	timestamp: requiredDatetime({ fourDigitYear: true }),
	reason: requiredText({ max: MAX_NAME }),
	message: optional(z.string({ error: "param must be a string" })),
	metadata: optional(z.record(z.string(), z.string(), { error: "param must be an object of strings" })),
}).meta({
	examples: [
		{
			involvedObject: { kind: "Kustomization", name: "shop", namespace: "flux-system" },
			severity: "info",
			timestamp: "2026-11-30T10:00:42Z",
			reason: "ReconciliationSucceeded",
			message: "Reconciliation finished in 2.1s, next run in 10m0s",
			metadata: { revision: "main@sha1:4f2b8c6a1e0d9f7b3a5c2e1d0f9a8b7c6d5e4f3a", environment: "production" },
			reportingController: "kustomize-controller",
		},
	],
});

type FluxEvent = z.output<typeof fluxEvent>;

/**
 * A metadata value by key. The notification-controller strips the reporting
 * controller's group (`kustomize.toolkit.fluxcd.io/revision` → `revision`) and
 * adds an Alert's eventMetadata and the object's `event.toolkit.fluxcd.io/`
 * annotations; a key with its group kept is read too.
 */
function meta(event: FluxEvent, key: string): string | undefined {
	const entries = Object.entries(event.metadata ?? {});
	const value = entries.find(([k]) => k === key)?.[1] ?? entries.find(([k]) => k.endsWith(`/${key}`))?.[1];
	return value?.trim() || undefined;
}

/**
 * A Git revision as Flux writes it, `<ref>@sha1:<sha>` (before Flux 2.0 `<ref>/<sha>`),
 * into a commit; any other (a chart version, an OCI digest) is kept whole as its sha.
 */
function commitOf(revision: string): DeployPayload["commit"] {
	const git = /^(?<ref>.+)(?:@sha1:|\/)(?<sha>[0-9a-f]{40})$/.exec(revision)?.groups;
	if (!git) return { sha: revision };
	return { sha: git.sha, branch: git.ref?.replace(/^refs\/heads\//, "") };
}

/**
 * The deploy an event reports, or why it reports none. Its dedup id is one per
 * object, revision and outcome (and, for a Helm action, its time): Flux repeats
 * a failing reconciliation's error at every retry, and a re-reconciled revision
 * is not a new deploy. A retried POST repeats the whole event, time included.
 */
async function deployOf(event: FluxEvent): Promise<{ ignored: string } | { body: unknown }> {
	const { kind, name, namespace } = event.involvedObject;
	if (!(DEPLOYERS as readonly string[]).includes(kind)) return { ignored: `a ${kind} does not deploy` };
	const applied = event.severity === "info" && Object.hasOwn(APPLIED, event.reason);
	if (!applied && event.severity !== "error") {
		return { ignored: `a ${event.severity} event with reason ${event.reason} is not a finished deploy` };
	}
	const revision = meta(event, "revision");
	if (!revision) return { ignored: "the event names no revision" };
	const status = applied ? "success" : "failure";
	const each = applied && APPLIED[event.reason as keyof typeof APPLIED] === "each";
	const key = JSON.stringify([kind, namespace, name, revision, status, each ? event.timestamp : null]);
	return {
		body: {
			service: name,
			environment: meta(event, "environment") ?? namespace,
			status,
			deployed_at: new Date(event.timestamp).toISOString(),
			// Flux's messages run to 39,000 characters (a failed health check lists every object): the start is kept.
			description: truncate(
				event.message?.trim() || `${kind} ${namespace}/${name}: ${event.reason}`,
				LIMITS.description,
			),
			dedup_id: `flux:${await sha256Hex(key)}`,
			deployer: { name: "Flux" },
			commit: commitOf(revision),
		},
	};
}

const answer = z.object({
	result: z.enum([...results.options, "ignored"]),
	message: z.string().optional(),
});

export const fluxWebhook = new Hono<WebhookEnv>();

fluxWebhook
	.post(
		"/:uuid",
		allow("anyone"),
		describeRoute({
			tags: ["Webhook"],
			summary: "Report a deploy from Flux (a generic Provider's event)",
			description:
				"The body is the event Flux's notification-controller posts for a generic Provider. A Kustomization or HelmRelease that applied a revision (reason `ReconciliationSucceeded`, `InstallSucceeded` or `UpgradeSucceeded`) is a successful deploy, an `error` event about one a failed deploy: service = the object's name, environment = the metadata's `environment` (an Alert's eventMetadata), else its namespace. Any other event is answered `ignored` and records nothing.",
			security: [],
			requestBody: jsonBody(fluxEvent),
			responses: {
				202: json("Recorded, recognised as a duplicate, or ignored as not a deploy", answer),
				...errors(400, 404, 413, 429),
			},
		}),
		findIntegration(takesUnsigned),
		limitBody,
		async (c) => {
			const deploy = await deployOf(validate(fluxEvent, await readJson(c)));
			if ("ignored" in deploy) return c.json({ result: "ignored", message: `Not a deploy: ${deploy.ignored}.` }, 202);
			const payload = parseDeployPayload(deploy.body);
			return recordDeploy(c, { integrationId: c.var.integrationId, agent: "flux", payload });
		},
	)
	.all("/:uuid", allow("anyone"), onlyPost)
	.all("*", allow("anyone"), () => {
		throw unknownIntegration();
	});
