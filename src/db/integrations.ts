import { and, asc, count, desc, eq, getTableColumns, gt, gte, inArray, isNull, lte, sql } from "drizzle-orm";
import type { Database } from "./client";
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
const live = new Map<string, { id: string; kind: IntegrationKind; until: number }>();

/** The live integration whose webhook URL (current, or retired and within its grace) carries `token`. */
export async function integrationByWebhookToken(db: Database, token: string, now = Date.now()) {
	const cached = live.get(token);
	if (cached && cached.until > now) return { id: cached.id, kind: cached.kind };
	const row = await webhookTokenOwner(db, token, now);
	if (row) {
		if (live.size >= MAX_ENTRIES) live.clear();
		live.set(token, {
			id: row.id,
			kind: row.kind,
			until: Math.min(now + TTL_MS, row.expiresAt ?? Number.POSITIVE_INFINITY),
		});
		return { id: row.id, kind: row.kind };
	}
	live.delete(token);
	return undefined;
}

/**
 * As `integrationByWebhookToken`, read from D1 every time: for writes that go
 * straight to D1 (incidents), which no ledger checks for revocation after this.
 */
export async function webhookTokenOwner(db: Database, token: string, now = Date.now()) {
	return db
		.select({ id: integrations.id, kind: integrations.kind, expiresAt: sql<number | null>`null` })
		.from(integrations)
		.where(and(eq(integrations.webhookToken, token), isNull(integrations.revokedAt)))
		.unionAll(
			db
				.select({ id: integrations.id, kind: integrations.kind, expiresAt: retiredWebhookTokens.expiresAt })
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
}

/** Forgets a dead URL (revoked, or rotated and expired) in this isolate at once. */
export function forgetWebhookToken(token: string): void {
	live.delete(token);
}

/** Adds an integration: a statement for the caller's batch. */
export const insertIntegration = (db: Database, row: IntegrationRow) => db.insert(integrations).values(row);

/** A live integration's signing secret (see `integrations.signingSecret`), if it has one. */
export async function signingSecretOf(db: Database, id: string): Promise<string | undefined> {
	const row = await db
		.select({ secret: integrations.signingSecret })
		.from(integrations)
		.where(and(eq(integrations.id, id), isNull(integrations.revokedAt)))
		.get();
	return row?.secret ?? undefined;
}

/** Gives an integration a new signing secret: a statement for the caller's batch. */
export const replaceSigningSecret = (db: Database, id: string, secret: string) =>
	db.update(integrations).set({ signingSecret: secret }).where(eq(integrations.id, id));

/** Marks an integration revoked at `at`: a statement for the caller's batch. */
export const markRevoked = (db: Database, id: string, at: number) =>
	db.update(integrations).set({ revokedAt: at }).where(eq(integrations.id, id));

/**
 * Replaces an integration's webhook token, keeping the old one as retired until
 * `expiresAt`: statements for the caller's batch.
 */
export const replaceWebhookToken = (
	db: Database,
	id: string,
	retired: { token: string; retiredAt: number; expiresAt: number },
	token: string,
) =>
	[
		db.insert(retiredWebhookTokens).values({ ...retired, integrationId: id }),
		db.update(integrations).set({ webhookToken: token }).where(eq(integrations.id, id)),
	] as const;

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

/** Every integration's id, revoked ones too (their deploys stay), in id order. */
export async function integrationIds(db: Database): Promise<string[]> {
	const rows = await db.select({ id: integrations.id }).from(integrations).orderBy(asc(integrations.id));
	return rows.map((row) => row.id);
}

/** Integrations by id, revoked ones too: what names them wherever their deploys or changes show. */
export function integrationNames(db: Database, ids: string[]) {
	return db
		.select({ id: integrations.id, name: integrations.name, revokedAt: integrations.revokedAt })
		.from(integrations)
		.where(inArray(integrations.id, ids));
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
