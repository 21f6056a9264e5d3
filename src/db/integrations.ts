import { and, count, desc, eq, getTableColumns, gt, gte, inArray, isNull, lte, sql } from "drizzle-orm";
import type { Actor } from "../audit/actor";
import { audited } from "../audit/log";
import type { Meter } from "../cost/meter";
import type { Ledger } from "../ledger/ledger";
import { ledgerFor } from "../ledger/stub";
import type { Database } from "./client";
import { newId } from "./ids";
import { deploys, type IntegrationKind, type IntegrationRow, integrations, retiredWebhookTokens } from "./schema";

const TTL_MS = 60_000;
const MAX_ENTRIES = 10_000;

/**
 * Deliberate per-isolate cache of live webhook URLs (token → integration id),
 * so a busy pipeline's deploys skip one D1 query each. Only hits are cached, so
 * a new integration works at once, and never past a retired URL's expiry. A
 * revocation, and the expiry of a URL cached while it was current, are enforced
 * by the integration's ledger, not by this lookup, so a stale entry cannot let a
 * deploy in; it only means that, for up to a minute in other isolates, a dead
 * URL answers a malformed body with 400 rather than 404.
 */
const live = new Map<string, { id: string; until: number }>();

/** The live integration whose webhook URL (current, or retired and within its grace) carries `token`. */
export async function integrationByWebhookToken(db: Database, token: string, now = Date.now()) {
	const cached = live.get(token);
	if (cached && cached.until > now) return { id: cached.id };
	const row = await db
		.select({ id: integrations.id, expiresAt: sql<number | null>`null` })
		.from(integrations)
		.where(and(eq(integrations.webhookToken, token), isNull(integrations.revokedAt)))
		.unionAll(
			db
				.select({ id: integrations.id, expiresAt: retiredWebhookTokens.expiresAt })
				.from(retiredWebhookTokens)
				.innerJoin(integrations, eq(integrations.id, retiredWebhookTokens.integrationId))
				.where(
					and(
						eq(retiredWebhookTokens.token, token),
						gt(retiredWebhookTokens.expiresAt, now),
						isNull(integrations.revokedAt),
					),
				),
		)
		.get();
	if (row) {
		if (live.size >= MAX_ENTRIES) live.clear();
		live.set(token, { id: row.id, until: Math.min(now + TTL_MS, row.expiresAt ?? Number.POSITIVE_INFINITY) });
		return { id: row.id };
	}
	live.delete(token);
	return undefined;
}

/** Forgets a dead URL (revoked, or rotated and expired) in this isolate at once. */
export function forgetWebhookToken(token: string): void {
	live.delete(token);
}

/** A new integration with a fresh secret webhook token. */
export async function createIntegration(db: Database, input: { name: string; kind: IntegrationKind }, actor: Actor) {
	const row: IntegrationRow = {
		id: newId(),
		...input,
		webhookToken: crypto.randomUUID(),
		createdAt: Date.now(),
		revokedAt: null,
	};
	await db.batch([
		db.insert(integrations).values(row),
		audited(db, actor, "integration.create", { type: "integration", id: row.id }, input),
	]);
	return row;
}

/** Live integrations, newest first. */
export function liveIntegrations(db: Database) {
	return db.select().from(integrations).where(isNull(integrations.revokedAt)).orderBy(desc(integrations.createdAt));
}

const HOUR_MS = 3_600_000;
/** The windows the integrations list counts deploys in. */
export const ACTIVITY_WINDOWS = { day: 24 * HOUR_MS, week: 7 * 24 * HOUR_MS } as const;
/** An integration's latest deploys (by deployed_at) among which its last arrival is looked for. */
const RECENT_SCANNED = 20;

/**
 * Live integrations, newest first, each with when it last received a deploy and
 * how many deploys it has from the last 24 hours and 7 days: one query, walking
 * only the (integration_id, deployed_at, id) index and the rows it points to.
 *
 * The counts are by `deployed_at`, a range of that index (and what the deploys
 * list's dates filter by). "Last received" is by `received_at`, which no index
 * holds: rather than add one, which every ingest would pay for as one more row
 * written, it is the latest arrival among the integration's 20 most recent
 * deploys. Deploys arrive about when they happen, so that is exact unless a
 * pipeline back-fills old deploys after 20 newer ones; it then shows the newer
 * ones' arrival, never a time that did not happen.
 */
export function liveIntegrationsWithActivity(db: Database, now = Date.now()) {
	const latestArrival = sql<number | null>`(
		select max(recent.received_at) from (
			select ${deploys.receivedAt} from ${deploys} where ${deploys.integrationId} = ${integrations.id}
			order by ${deploys.deployedAt} desc, ${deploys.id} desc limit ${RECENT_SCANNED}
		) as recent)`;
	const dayStart = now - ACTIVITY_WINDOWS.day;
	return db
		.select({
			...getTableColumns(integrations),
			lastReceivedAt: latestArrival,
			lastDay: sql<number>`count(*) filter (where ${deploys.deployedAt} >= ${dayStart})`,
			lastWeek: count(deploys.id),
		})
		.from(integrations)
		.leftJoin(
			deploys,
			and(eq(deploys.integrationId, integrations.id), gte(deploys.deployedAt, now - ACTIVITY_WINDOWS.week)),
		)
		.where(isNull(integrations.revokedAt))
		.groupBy(integrations.id)
		.orderBy(desc(integrations.createdAt));
}

export function liveIntegration(db: Database, id: string) {
	return db
		.select()
		.from(integrations)
		.where(and(eq(integrations.id, id), isNull(integrations.revokedAt)))
		.get();
}

/** Integrations by id, revoked ones too: what names them wherever their deploys or changes show. */
export function integrationNames(db: Database, ids: string[]) {
	return db
		.select({ id: integrations.id, name: integrations.name, revokedAt: integrations.revokedAt })
		.from(integrations)
		.where(inArray(integrations.id, ids));
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
	actor: Actor,
): Promise<boolean> {
	const row = await liveIntegration(db, id);
	if (!row) return false;
	forgetWebhookToken(row.webhookToken);
	// The ledger first: from here on no webhook can be accepted, even one already past the D1 check.
	await ledgerFor(ledgers, id).revoke();
	meter.add({ doRequests: 1 });
	await db.batch([
		db.update(integrations).set({ revokedAt: Date.now() }).where(eq(integrations.id, id)),
		audited(db, actor, "integration.revoke", { type: "integration", id }),
	]);
	return true;
}

/**
 * Gives an integration a new webhook URL. The old one keeps working for
 * `graceMs` (0: not at all), so pipelines can be moved over without losing a
 * deploy. Answers the updated integration, or undefined if it is not live.
 */
export async function rotateWebhookToken(
	db: Database,
	ledgers: DurableObjectNamespace<Ledger>,
	meter: Meter,
	id: string,
	graceMs: number,
	actor: Actor,
	now = Date.now(),
) {
	const row = await liveIntegration(db, id);
	if (!row) return undefined;
	const token = crypto.randomUUID();
	const expiresAt = now + graceMs;
	// The ledger first, as for a revocation: once D1 has the rotation, no isolate's
	// cached URL gets past the expiry. If D1's batch then fails, the ledger's note
	// is harmless, since it refuses a token only when D1 says it expired.
	await ledgerFor(ledgers, id).retire(row.webhookToken, expiresAt);
	meter.add({ doRequests: 1 });
	await db.batch([
		db.insert(retiredWebhookTokens).values({ token: row.webhookToken, integrationId: id, retiredAt: now, expiresAt }),
		db.update(integrations).set({ webhookToken: token }).where(eq(integrations.id, id)),
		audited(db, actor, "integration.rotate", { type: "integration", id }, { grace_seconds: graceMs / 1000 }),
	]);
	return { ...row, webhookToken: token };
}

/** Whether `token` is a URL of integration `id` that D1 has retired and whose grace is over by `now`. */
export async function webhookTokenExpired(db: Database, id: string, token: string, now = Date.now()) {
	const row = await db
		.select({ token: retiredWebhookTokens.token })
		.from(retiredWebhookTokens)
		.where(
			and(
				eq(retiredWebhookTokens.token, token),
				eq(retiredWebhookTokens.integrationId, id),
				lte(retiredWebhookTokens.expiresAt, now),
			),
		)
		.get();
	return row !== undefined;
}

/** An integration's retired URLs still within their grace, the latest first. */
export function previousWebhookTokens(db: Database, id: string, now = Date.now()) {
	return db
		.select({ token: retiredWebhookTokens.token, expiresAt: retiredWebhookTokens.expiresAt })
		.from(retiredWebhookTokens)
		.where(and(eq(retiredWebhookTokens.integrationId, id), gt(retiredWebhookTokens.expiresAt, now)))
		.orderBy(desc(retiredWebhookTokens.expiresAt));
}

/** The URL pipelines post to; the token is the secret, so it is shown only to admins. */
export const webhookUrl = (origin: string, token: string) => `${origin}/integrations/deploy/${token}`;
