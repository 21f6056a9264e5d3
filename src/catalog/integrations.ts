import { z } from "zod";
import type { Actor } from "../audit/actor";
import { audited } from "../audit/log";
import type { Meter } from "../cost/meter";
import type { Database } from "../db/client";
import { newId } from "../db/ids";
import {
	forgetWebhookToken,
	insertIntegration,
	liveIntegration,
	markRevoked,
	replaceSigningSecret,
	replaceWebhookToken,
} from "../db/integrations";
import { INTEGRATION_KINDS, type IntegrationKind, type IntegrationRow } from "../db/schema";
import { DAY } from "../http/datetime";
import { ApiError } from "../http/errors";
import { MAX_NAME, object, optional, requiredText } from "../http/validation";
import type { Ledger } from "../ledger/ledger";
import { ledgerFor } from "../ledger/stub";
import { hex } from "../model/hex";

// The rules for integrations, shared by the API and the UI: each either does
// what was asked or throws the ApiError that says why not.

export const integrationKind = z.enum(INTEGRATION_KINDS, {
	error: `param must be one of ${INTEGRATION_KINDS.join(", ")}`,
});

/** A new integration: the API's body and the UI's form alike. */
export const newIntegration = object({
	name: requiredText({ max: MAX_NAME }),
	kind: optional(integrationKind).default("deploy"),
});

/** How long a rotated-out URL keeps working unless told otherwise: a day. */
export const DEFAULT_GRACE_SECONDS = DAY / 1000;
export const MAX_GRACE_SECONDS = (30 * DAY) / 1000;

const graceError = { error: `param must be between 0 and ${MAX_GRACE_SECONDS}` };
export const graceSeconds = z
	.number({ error: "param must be a whole number of seconds" })
	.int({ error: "param must be a whole number of seconds" })
	.min(0, graceError)
	.max(MAX_GRACE_SECONDS, graceError);

/** The 404 for an integration that is not live: never was, or revoked. The API's and the UI's. */
export const integrationNotFound = (id: string) =>
	ApiError.of(404, "Integration Error", `no integration with id '${id}'`);

/** The live integration `id`, or its 404. */
export async function loadIntegration(db: Database, id: string): Promise<IntegrationRow> {
	const row = await liveIntegration(db, id);
	if (!row) throw integrationNotFound(id);
	return row;
}

/**
 * The route a kind's tool posts to: GitHub signs its own events and Flux sends
 * its own event JSON, which it cannot template, each to a route that reads them
 * (webhook/github.ts, webhook/flux.ts); every other tool the Custom Deploy body.
 */
const OWN_ROUTES: Partial<Record<IntegrationKind, string>> = { github: "github", flux: "flux" };
export const webhookRoute = (kind: IntegrationKind) => OWN_ROUTES[kind] ?? "deploy";

/** The URL pipelines post to; the token is the secret, so it is shown only to admins. */
export const webhookUrl = (origin: string, token: string, kind: IntegrationKind) =>
	`${origin}/integrations/${webhookRoute(kind)}/${token}`;

/** How many random bytes a signing secret has: 256 bits, as many as its HMAC-SHA256 key can use. */
const SECRET_BYTES = 32;

/** A fresh signing secret: hex, which GitHub's Secret field takes as typed. */
function newSigningSecret(): string {
	return hex(crypto.getRandomValues(new Uint8Array(SECRET_BYTES)));
}

/** A new integration with a fresh secret webhook token, and a signing secret if GitHub will sign what it sends. */
export async function createIntegration(
	db: Database,
	input: z.output<typeof newIntegration>,
	actor: Actor,
): Promise<IntegrationRow> {
	const row: IntegrationRow = {
		id: newId(),
		...input,
		webhookToken: crypto.randomUUID(),
		signingSecret: input.kind === "github" ? newSigningSecret() : null,
		createdAt: Date.now(),
		revokedAt: null,
	};
	await db.batch([
		insertIntegration(db, row),
		audited(db, actor, "integration.create", { type: "integration", id: row.id }, input),
	]);
	return row;
}

/** Where an integration's ledger is, and the request's meter that counts the call. */
type Ledgers = { ledgers: DurableObjectNamespace<Ledger>; meter: Meter };

/** Revokes a live integration, or throws its 404: its webhook answers 404 from then on; its deploys stay. */
export async function revokeIntegration(db: Database, { ledgers, meter }: Ledgers, id: string, actor: Actor) {
	const row = await loadIntegration(db, id);
	forgetWebhookToken(row.webhookToken);
	// The ledger first: from here on no webhook can be accepted, even one already past the D1 check.
	await ledgerFor(ledgers, id).revoke();
	meter.add({ doRequests: 1 });
	await db.batch([
		markRevoked(db, id, Date.now()),
		audited(db, actor, "integration.revoke", { type: "integration", id }),
	]);
}

/**
 * Gives a live integration a new webhook URL, or throws its 404. The old one
 * keeps working for `graceMs` (0: not at all), so pipelines can be moved over
 * without losing a deploy. Answers the updated integration.
 */
export async function rotateWebhookToken(
	db: Database,
	{ ledgers, meter }: Ledgers,
	id: string,
	graceMs: number,
	actor: Actor,
	now = Date.now(),
): Promise<IntegrationRow> {
	const row = await loadIntegration(db, id);
	const token = crypto.randomUUID();
	const expiresAt = now + graceMs;
	// The ledger first, as for a revocation: once D1 has the rotation, no isolate's
	// cached URL gets past the expiry. If D1's batch then fails, the ledger's note
	// is harmless, since it refuses a token only when D1 says it expired.
	await ledgerFor(ledgers, id).retire(row.webhookToken, expiresAt);
	meter.add({ doRequests: 1 });
	await db.batch([
		...replaceWebhookToken(db, id, { token: row.webhookToken, retiredAt: now, expiresAt }, token),
		audited(db, actor, "integration.rotate", { type: "integration", id }, { grace_seconds: graceMs / 1000 }),
	]);
	return { ...row, webhookToken: token };
}

/**
 * Gives a live GitHub integration a new signing secret, or throws why not, and
 * answers it: the caller shows it once. The old one stops working at once;
 * GitHub's "Redeliver" resends what failed meanwhile.
 */
export async function regenerateSigningSecret(db: Database, id: string, actor: Actor): Promise<string> {
	const row = await loadIntegration(db, id);
	if (row.kind !== "github") {
		throw ApiError.of(409, "Integration Error", "only a GitHub integration has a signing secret");
	}
	const secret = newSigningSecret();
	// The audit names the act, never the secret.
	await db.batch([
		replaceSigningSecret(db, id, secret),
		audited(db, actor, "integration.signing_secret", { type: "integration", id }),
	]);
	return secret;
}
