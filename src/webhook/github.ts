import { Hono } from "hono";
import { describeRoute } from "hono-openapi";
import { z } from "zod";
import { allow } from "../access/guard";
import { signingSecretOf } from "../db/integrations";
import { ApiError } from "../http/errors";
import { errors, json } from "../http/openapi";
import { parseJson } from "../http/validation";
import { hex } from "../model/hex";
import { unknownIntegration } from "./answers";
import { DEPLOY_EVENTS, type DeployEvent, deployOf } from "./github-events";
import { findIntegration, limitBody, recordDeploy, type WebhookEnv } from "./route";

// GitHub's own webhook, for an integration of kind `github`: its `deployment`
// and `deployment_status` events, signed with the integration's secret.

/** The one signature GitHub sends that we accept: HMAC-SHA256, lower-case hex. */
const SIGNATURE_HEADER = "X-Hub-Signature-256";

const encoder = new TextEncoder();

/**
 * Whether `header` is `sha256=` and the HMAC-SHA256 of exactly these bytes under
 * `secret`, compared in constant time. Only the expected form counts: upper-case
 * hex, a `sha1=` one or a truncated one is as wrong as a forged one.
 */
export async function signedWith(secret: string, body: ArrayBuffer, header: string | undefined): Promise<boolean> {
	if (header === undefined) return false;
	const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
		"sign",
	]);
	const expected = encoder.encode(`sha256=${hex(await crypto.subtle.sign("HMAC", key, body))}`);
	const given = encoder.encode(header);
	// The expected length is public (it is always the same), so a length mismatch may return early.
	return given.byteLength === expected.byteLength && crypto.subtle.timingSafeEqual(given, expected);
}

const badSignature = () =>
	ApiError.of(
		401,
		"Signature Error",
		`${SIGNATURE_HEADER} is missing or does not match the body: set the webhook's Secret to this integration's signing secret`,
	);

const isDeployEvent = (event: string): event is DeployEvent => (DEPLOY_EVENTS as readonly string[]).includes(event);

const answer = z
	.object({
		result: z.enum(["ok", "no_service_found", "duplicate_deploy", "ignored", "pong"]),
		message: z.string().optional(),
	})
	.meta({
		examples: [
			{ result: "pong" },
			{ result: "ok" },
			{ result: "ok", message: "Deploy github-deployment:145988746 is now success" },
			{
				result: "no_service_found",
				message: "No service found matching alias 'octo/app'. Recording 'octo/app' as a suggestion.",
			},
			{ result: "ignored", message: "GitHub event 'push' is not one this integration records" },
		],
	});

export const github = new Hono<WebhookEnv>();

github.post(
	"/:uuid",
	allow("anyone"),
	describeRoute({
		tags: ["Webhook"],
		summary: "Report deploys from GitHub (its deployment and deployment_status webhook events)",
		description: `For an integration of kind \`github\`, whose page shows this URL. Every delivery must carry \`${SIGNATURE_HEADER}\`, the HMAC-SHA256 of the body under the integration's signing secret. \`X-GitHub-Event\` says what it is: \`ping\` is answered, \`deployment\` records a queued deploy, \`deployment_status\` moves the same deploy on (\`inactive\` changes nothing), and any other event is ignored.`,
		security: [],
		responses: {
			200: json("A ping answered", answer),
			202: json("Recorded, moved on, a duplicate, or ignored; nothing is recorded for an ignored event", answer),
			...errors(400, 404, 413, 429),
			401: { ...errors(401)[401], description: `${SIGNATURE_HEADER} is missing or wrong; nothing was read` },
		},
	}),
	findIntegration((kind) => kind === "github"),
	limitBody,
	async (c) => {
		const { integrationId } = c.var;
		const secret = await signingSecretOf(c.var.db, integrationId);
		if (secret === undefined) throw unknownIntegration();
		const body = await c.req.arrayBuffer();
		// Nothing of the body is read before it is known to come from GitHub.
		if (!(await signedWith(secret, body, c.req.header(SIGNATURE_HEADER)))) throw badSignature();

		const event = c.req.header("X-GitHub-Event");
		if (!event) throw ApiError.of(400, "Event Error", "X-GitHub-Event is missing: GitHub names the event it sends");
		if (event === "ping") return c.json({ result: "pong" }, 200);
		if (!isDeployEvent(event)) {
			return c.json({ result: "ignored", message: `GitHub event '${event}' is not one this integration records` }, 202);
		}
		if (/^application\/x-www-form-urlencoded/i.test(c.req.header("Content-Type") ?? "")) {
			throw ApiError.of(
				400,
				"Body Error",
				"request body is form-encoded: set the webhook's Content type to application/json",
			);
		}
		const payload = deployOf(event, parseJson(new TextDecoder().decode(body)));
		if (!payload) {
			return c.json(
				{ result: "ignored", message: "An inactive deployment was superseded; its deploy is unchanged" },
				202,
			);
		}

		// A status that moves the deploy on is news, not a duplicate: say so.
		return recordDeploy(c, { integrationId, agent: "github", payload }, (advanced) =>
			advanced
				? { result: "ok", message: `Deploy ${payload.dedup_id} is now ${payload.status}` }
				: {
						result: "duplicate_deploy",
						message: `Deploy ${payload.dedup_id} already has this status or a later one; nothing changed`,
					},
		);
	},
);

// Nothing else under /integrations/github is anything: a 404 in the JSON shape, as under /integrations/deploy.
github.all("*", allow("anyone"), () => {
	throw unknownIntegration();
});
