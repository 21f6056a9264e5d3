import { and, eq, isNull } from "drizzle-orm";
import type { Database } from "./client";
import { integrations } from "./schema";

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
