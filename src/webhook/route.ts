import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import { describeRoute } from "hono-openapi";
import { z } from "zod";
import { allow } from "../access/guard";
import type { Database } from "../db/client";
import { integrationByWebhookToken } from "../db/integrations";
import type { IntegrationKind } from "../db/schema";
import type { AppEnv } from "../env";
import { ApiError } from "../http/errors";
import { errors, json, jsonBody } from "../http/openapi";
import { MAX_NAME, readJson } from "../http/validation";
import { ledgerFor } from "../ledger/stub";
import type { DeployRequest } from "../model/entry";
import { recordedAsSuggestion, refusal, results, unknownIntegration } from "./answers";
import { dryRun, dryRunAnswer } from "./dry-run";
import { deployPayload, MAX_BODY_BYTES, parseDeployPayload } from "./payload";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type WebhookEnv = AppEnv & { Variables: { integrationId: string; webhookToken: string } };

/**
 * The integration is checked before the body is read: a dead URL is a 404 whatever was sent.
 * So is one of a kind this URL does not serve: a GitHub integration takes only signed events,
 * at its own URL, so its token is no Custom Deploy URL.
 */
export const findIntegration = (
	serves: (kind: IntegrationKind) => boolean,
	// Cached by default; what writes straight to D1, past any ledger, reads it fresh (see webhook/incidents.ts).
	lookup: (
		db: Database,
		token: string,
	) => Promise<{ id: string; kind: IntegrationKind } | undefined> = integrationByWebhookToken,
) =>
	createMiddleware<WebhookEnv>(async (c, next) => {
		const token = (c.req.param("uuid") ?? "").toLowerCase();
		const integration = UUID.test(token) ? await lookup(c.var.db, token) : undefined;
		if (!integration || !serves(integration.kind)) throw unknownIntegration();
		c.set("integrationId", integration.id);
		c.set("webhookToken", token);
		await next();
	});

/** The kinds whose URL takes what is posted unsigned: all but GitHub's, which signs every event. */
export const takesUnsigned = (kind: IntegrationKind) => kind !== "github";

/** A 413 for a body past `maxBytes`, before it is read whole. */
export const limitBodyTo = (maxBytes: number) =>
	bodyLimit({
		maxSize: maxBytes,
		onError: () => {
			throw ApiError.of(413, "Body Error", `request body is larger than ${maxBytes} bytes`);
		},
	});

export const limitBody = limitBodyTo(MAX_BODY_BYTES);

/** The first `max` characters of `text`, counted as the payload's limits count them: code points, so no pair is split. */
export function truncate(text: string, max: number): string {
	return text.length <= max ? text : Array.from(text).slice(0, max).join("");
}

export const webhook = new Hono<WebhookEnv>();

const accepted = z
	.object({
		result: results,
		message: z.string().optional(),
	})
	.meta({
		examples: [
			{ result: "ok" },
			{
				result: "no_service_found",
				message: "No service found matching alias 'X'. Recording 'X' as a suggestion.",
			},
			{ result: "duplicate_deploy", message: "Deploy not created due to existing deploy with identical dedup_id" },
		],
	});

/**
 * `?dry_run=1`: check, record nothing. Any value but `0` or `false` counts, so a
 * client that means a dry run never records a deploy by spelling it differently.
 */
const isDryRun = (value: string | undefined) => value !== undefined && value !== "0" && value !== "false";

const tags = ["Webhook"];

webhook.post(
	"/:uuid",
	allow("anyone"),
	describeRoute({
		tags,
		summary: "Report a deploy (OpsLevel Custom Deploy webhook)",
		description:
			"The body is read as JSON whatever Content-Type says. `?agent=` is kept as the deploy's agent; `?dry_run=1` checks the request and records nothing; the rest of the query string is ignored.",
		security: [],
		parameters: [
			{
				name: "dry_run",
				in: "query",
				required: false,
				schema: { type: "string", example: "1" },
				description:
					"Any value but `0` or `false`: validate the body and the URL and answer 200 with what would happen, recording nothing and using no deploy number. OpsLevel's clients never send it.",
			},
		],
		requestBody: jsonBody(deployPayload),
		responses: {
			200: json("Dry run: what a deploy would do; nothing was recorded", dryRunAnswer),
			202: json("Recorded, or recognised as a duplicate", accepted),
			...errors(400, 404, 413, 429),
		},
	}),
	findIntegration(takesUnsigned),
	limitBody,
	async (c) => {
		const payload = parseDeployPayload(await readJson(c));
		const integrationId = c.var.integrationId;
		const request = { integrationId, agent: truncate(c.req.query("agent") ?? "", MAX_NAME) || null, payload };
		if (isDryRun(c.req.query("dry_run"))) return c.json(await dryRun(c, request, c.var.webhookToken), 200);

		return recordDeploy(c, request);
	},
);

/** A body the webhook answers with. */
type Answer = { result: string; message?: string };

/** The Custom Deploy contract's answer to a repeated dedup_id, whatever it changed. */
const contractDuplicate = (): Answer => ({
	result: "duplicate_deploy",
	message: "Deploy not created due to existing deploy with identical dedup_id",
});

/**
 * Records `request` in its integration's ledger and answers as the Custom
 * Deploy contract does; a route with words of its own for a repeat (whether
 * it `advanced` the deploy's status) passes `duplicate`. The Flux and GitHub
 * routes record what they translated through here too.
 */
export async function recordDeploy(
	c: Context<WebhookEnv>,
	request: DeployRequest,
	duplicate: (advanced: boolean) => Answer = contractDuplicate,
) {
	const ledger = ledgerFor(c.env.LEDGER, request.integrationId);
	const { outcome, matched, advanced, retryAfter, cost } = await ledger.record(request, c.var.webhookToken);
	c.var.meter.add({ ...cost, doRequests: cost.doRequests + 1 });
	const refused = refusal(outcome, retryAfter, c.var.webhookToken);
	if (refused) throw refused;

	if (outcome === "duplicate") return c.json(duplicate(advanced === true), 202);
	return matched
		? c.json({ result: "ok" }, 202)
		: c.json({ result: "no_service_found", message: recordedAsSuggestion(request.payload.service) }, 202);
}

/** Every method but POST is refused on a webhook URL, with the one that works named in Allow. */
export const onlyPost = (c: Context) => {
	throw ApiError.of(405, "Method Error", `${c.req.method} is not allowed here; send deploys with POST`, {
		Allow: "POST",
	});
};

webhook
	// One operation per method a client may try: hono-openapi reads an `all` route as metadata
	// shared by the path's other operations, not as an operation, so it never reaches the document.
	// (HEAD is answered as GET.)
	.on(
		["GET", "PUT", "PATCH", "DELETE"],
		"/:uuid",
		allow("anyone"),
		describeRoute({ tags, summary: "Anything but POST", security: [], responses: errors(405) }),
		onlyPost,
	)
	// Any other method (OPTIONS, or PROPFIND, which OpenAPI has no name for) is refused the same way.
	.all("/:uuid", allow("anyone"), onlyPost)
	// Nothing else under /integrations/deploy is a webhook URL, or anything else: not a page, not a sign-in.
	.all("*", allow("anyone"), () => {
		throw unknownIntegration();
	});
