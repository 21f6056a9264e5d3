import { and, desc, eq, isNull } from "drizzle-orm";
import type { Meter } from "../cost/meter";
import type { Ledger } from "../ledger/ledger";
import type { Database } from "./client";
import { newId } from "./ids";
import { type IntegrationKind, type IntegrationRow, integrations } from "./schema";

const TTL_MS = 60_000;
const MAX_ENTRIES = 10_000;

/**
 * Deliberate per-isolate cache of live webhook URLs (token → integration id),
 * so a busy pipeline's deploys skip one D1 query each. Only hits are cached, so
 * a new integration works at once. A revocation is enforced by the integration's
 * ledger, not by this lookup, so a stale entry cannot let a deploy in; it only
 * means that, for up to a minute in other isolates, a revoked URL answers a
 * malformed body with 400 rather than 404.
 */
const live = new Map<string, { id: string; until: number }>();

/** The live integration whose webhook URL carries `token`, if any. */
export async function integrationByWebhookToken(db: Database, token: string, now = Date.now()) {
	const cached = live.get(token);
	if (cached && cached.until > now) return { id: cached.id };
	const row = await db
		.select({ id: integrations.id })
		.from(integrations)
		.where(and(eq(integrations.webhookToken, token), isNull(integrations.revokedAt)))
		.get();
	if (row) {
		if (live.size >= MAX_ENTRIES) live.clear();
		live.set(token, { id: row.id, until: now + TTL_MS });
	} else {
		live.delete(token);
	}
	return row;
}

/** Forgets a revoked integration's URL in this isolate at once. */
export function forgetWebhookToken(token: string): void {
	live.delete(token);
}

/** A new integration with a fresh secret webhook token. */
export async function createIntegration(db: Database, input: { name: string; kind: IntegrationKind }) {
	const row: IntegrationRow = {
		id: newId(),
		...input,
		webhookToken: crypto.randomUUID(),
		createdAt: Date.now(),
		revokedAt: null,
	};
	await db.insert(integrations).values(row);
	return row;
}

/** Live integrations, newest first. */
export function liveIntegrations(db: Database) {
	return db.select().from(integrations).where(isNull(integrations.revokedAt)).orderBy(desc(integrations.createdAt));
}

export function liveIntegration(db: Database, id: string) {
	return db
		.select()
		.from(integrations)
		.where(and(eq(integrations.id, id), isNull(integrations.revokedAt)))
		.get();
}

/**
 * Revokes a live integration: its webhook answers 404 from then on; its deploys
 * stay. False if there was no such live integration.
 */
export async function revokeIntegration(
	db: Database,
	ledgers: DurableObjectNamespace<Ledger>,
	meter: Meter,
	id: string,
): Promise<boolean> {
	const row = await liveIntegration(db, id);
	if (!row) return false;
	forgetWebhookToken(row.webhookToken);
	// The ledger first: from here on no webhook can be accepted, even one already past the D1 check.
	await ledgers.get(ledgers.idFromName(id)).revoke();
	meter.add({ doRequests: 1 });
	await db.update(integrations).set({ revokedAt: Date.now() }).where(eq(integrations.id, id));
	return true;
}

/** The URL pipelines post to; the token is the secret, so it is shown only to admins. */
export const webhookUrl = (origin: string, token: string) => `${origin}/integrations/deploy/${token}`;
