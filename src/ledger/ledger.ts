import { DurableObject } from "cloudflare:workers";
import { type Cost, Meter, meteredD1 } from "../cost/meter";
import { type AliasOwner, aliasKey } from "../db/catalog";
import { database } from "../db/client";
import { newId } from "../db/ids";
import { webhookTokenExpired } from "../db/integrations";
import type { Bindings } from "../env";
import type { DeployRequest, ImportedDeploy, LedgerEntry } from "../model/entry";
import { advances, currentStatus, normalizeStatus } from "../model/status";
import type { DeployPayload } from "../webhook/payload";
import { migrate } from "./migrations";
import { Outbox } from "./outbox";
import { Owners } from "./owners";
import { forgetDelivered, PURGE_MAX, type PurgeResult } from "./purge";
import { type RateLimit, rateLimitFrom } from "./rate-limit";
import { type Sql, sqlOn } from "./sql";

export type RecordOutcome = "accepted" | "duplicate" | "revoked" | "expired" | "limited";

/** What `import` did with each deploy. */
export type ImportOutcome = "accepted" | "duplicate" | "revoked";

/**
 * What `record` did (for a new deploy: whether its alias matched a service;
 * for a duplicate: whether its status moved the deploy on; when limited: how
 * many seconds to wait), and what it cost.
 */
export type RecordResult = {
	outcome: RecordOutcome;
	matched: boolean;
	advanced?: boolean;
	retryAfter?: number;
	cost: Cost;
};

/** What `record` would do with a request (for a new deploy: the service its alias matches), and what finding out cost. */
export type CheckResult = { outcome: RecordOutcome; serviceId: string | null; retryAfter?: number; cost: Cost };

/**
 * One per integration: the authority for dedup and deploy numbering.
 *
 * Everything that decides whether a deploy is new and which number it gets
 * runs synchronously against the object's own SQLite, inside one transaction,
 * so concurrent webhooks cannot interleave between check and reserve. The
 * accepted entry is durable here before the webhook answers 202; D1 gets its
 * copy in the same request when it can, and from the alarm otherwise.
 */
export class Ledger extends DurableObject<Bindings> {
	/** The way accepted entries reach D1. */
	private readonly outbox: Outbox;
	/** How fast this integration may post; duplicates count too (a retry loop is what it stops). */
	private readonly limit: RateLimit;
	/**
	 * Retired webhook tokens → their expiry, all of them (one per rotation):
	 * held in memory so the check costs nothing per deploy, and exact, since
	 * this one object is the only place they are written (see `retire`).
	 */
	private readonly retired = new Map<string, number>();
	/** Whether this ledger was revoked: in memory for the same reason, as only `revoke` sets it. */
	private revoked: boolean;
	/** Who owns a new deploy's alias (see `Owners`). */
	private readonly owners: Owners;

	constructor(ctx: DurableObjectState, env: Bindings) {
		super(ctx, env);
		this.limit = rateLimitFrom(env);
		this.outbox = new Outbox(
			ctx.storage,
			() => this.env.DB,
			(message) => this.env.NOTIFICATIONS.send(message),
		);
		this.owners = new Owners(() => this.env.DB);
		ctx.storage.transactionSync(() => migrate(ctx.storage.sql));
		this.revoked = this.sql(new Meter()).one`SELECT 1 FROM settings WHERE key = 'revoked_at'` !== undefined;
		for (const { token, expires_at } of this.sql(new Meter()).all<{ token: string; expires_at: number }>`
			SELECT token, expires_at FROM retired_tokens`) {
			this.retired.set(token, expires_at);
		}
		// A previous incarnation may have died between accepting a deploy and
		// arming the alarm; whatever is pending gets delivered.
		if (this.outbox.pending() > 0) void ctx.blockConcurrencyWhile(() => this.outbox.retrySoon());
	}

	/** Records a deploy the webhook received at the URL carrying `webhookToken`. */
	async record(request: DeployRequest, webhookToken: string): Promise<RecordResult> {
		const meter = new Meter();
		const refused = await this.refusal(meter, request.integrationId, webhookToken);
		if (refused) return { ...refused, matched: false, cost: meter.cost };
		const dedupId = request.payload.dedup_id;
		// Duplicates (the bulk of retries) and a revoked ledger are answered from this
		// object's own storage; only a new deploy needs D1, to find its service. After
		// that wait, the transaction looks again: another request may have come in.
		const seen = this.known(meter, dedupId);
		const owner = seen === undefined ? await this.owners.of(meter, request.payload.service) : null;
		const { outcome, changed } = this.ctx.storage.transactionSync(() =>
			this.reserve(meter, request, owner, seen ?? this.known(meter, dedupId)),
		);
		if (changed) await this.outbox.send(meter, [changed]);
		return {
			outcome,
			matched: owner !== null,
			advanced: outcome === "duplicate" && changed !== undefined,
			cost: meter.cost,
		};
	}

	/**
	 * Records an import's deploys in order, as `record` does a webhook's (one transaction, durable
	 * before it answers, D1 through the outbox), with no rate limit or webhook token: the caller is an admin.
	 */
	async import(deploys: ImportedDeploy[]): Promise<{ outcomes: ImportOutcome[]; cost: Cost }> {
		const meter = new Meter();
		const aliases = new Set(deploys.filter((d) => !this.known(meter, d.key, d.sourceId)).map((d) => d.payload.service));
		const owners = new Map<string, AliasOwner | null>();
		await Promise.all([...aliases].map(async (alias) => owners.set(alias, await this.owners.of(meter, alias))));
		const results = this.ctx.storage.transactionSync(() =>
			deploys.map(({ key, receivedAt, sourceId, ...request }) => {
				const owner = owners.get(request.payload.service) ?? null;
				const known = this.known(meter, key, sourceId);
				return this.reserve(meter, request, owner, known, key, receivedAt ?? undefined);
			}),
		);
		const changed = results.flatMap((result) => (result.changed ? [result.changed] : []));
		if (changed.length > 0) await this.outbox.send(meter, changed);
		return { outcomes: results.map((result) => result.outcome as ImportOutcome), cost: meter.cost };
	}

	/**
	 * What `record` would answer for this request, with the same checks in the
	 * same order, but nothing written: no entry, no deploy number, no D1 row.
	 * It takes a token from the rate limit like any request: a dry run costs a
	 * Durable Object request and maybe a D1 read, so a loop of them must be
	 * stopped like a loop of deploys, and the limit would otherwise be a free
	 * way to hammer D1 through a leaked URL.
	 */
	async check(request: DeployRequest, webhookToken: string): Promise<CheckResult> {
		const meter = new Meter();
		const refused = await this.refusal(meter, request.integrationId, webhookToken);
		if (refused) return { ...refused, serviceId: null, cost: meter.cost };
		const seen = this.known(meter, request.payload.dedup_id);
		if (seen === "revoked") return { outcome: "revoked", serviceId: null, cost: meter.cost };
		if (seen) return { outcome: "duplicate", serviceId: null, cost: meter.cost };
		const owner = await this.owners.of(meter, request.payload.service);
		return { outcome: "accepted", serviceId: owner?.serviceId ?? null, cost: meter.cost };
	}

	/** After this, the ledger accepts nothing more; entries already accepted still reach D1. */
	async revoke(): Promise<void> {
		this.sql(new Meter())
			.run`INSERT OR REPLACE INTO settings (key, value) VALUES ('revoked_at', ${String(Date.now())})`;
		this.revoked = true;
	}

	/**
	 * From `expiresAt` on, deploys sent with `token` are refused, whichever
	 * Worker still caches it as a live URL. Told before D1 records the rotation,
	 * so there is no moment when D1 has it and this ledger does not.
	 */
	async retire(token: string, expiresAt: number): Promise<void> {
		this.sql(new Meter())
			.run`INSERT OR REPLACE INTO retired_tokens (token, expires_at) VALUES (${token}, ${expiresAt})`;
		this.retired.set(token, expiresAt);
	}

	/** How many accepted entries D1 does not have yet. */
	async pendingCount(): Promise<number> {
		return this.outbox.pending();
	}

	/** Delivers what is still pending (see `Outbox`). */
	override async alarm(): Promise<void> {
		await this.outbox.alarm();
	}

	/**
	 * Forgets delivered entries received before `cutoff` (never pending ones),
	 * deleting their deploys from D1 first, so D1 never holds a dedup_id this
	 * ledger has forgotten: a retry of a forgotten one is accepted as new, and its
	 * insert must not meet the old row on D1's unique (integration, dedup_id).
	 * At most `limit` entries per call; `more` says another call is due.
	 *
	 * It runs as a chore of the outbox, this ledger's only D1 writer, so no
	 * delivery is in flight between the D1 delete and forgetting: none can put a
	 * deploy back in D1 meanwhile.
	 * Entries queued for delivery, or marked pending again by a newer status while
	 * D1 deleted, are kept for a later purge. Dying between the two steps leaves
	 * this ledger remembering more than D1 holds, which is safe: the next purge
	 * finishes the job.
	 */
	async purge(cutoff: number, limit = PURGE_MAX): Promise<PurgeResult> {
		return this.outbox.chore(() => forgetDelivered(this.ctx.storage, this.env.DB, this.outbox, cutoff, limit));
	}

	/** Why a request is refused before its body matters: over the rate limit, or sent to a retired URL past its expiry. */
	private async refusal(
		meter: Meter,
		integrationId: string,
		token: string,
	): Promise<{ outcome: "limited"; retryAfter: number } | { outcome: "expired" } | undefined> {
		const retryAfter = this.limit.take();
		if (retryAfter > 0) return { outcome: "limited", retryAfter };
		if (await this.expired(meter, integrationId, token)) return { outcome: "expired" };
		return undefined;
	}

	/**
	 * Whether `token` is a retired URL past its expiry. Only a token retired here
	 * and past that time costs a D1 read, and D1 has the last word: a rotation
	 * that died between telling this ledger and D1 never happened, so it must
	 * not lock the still-current URL out.
	 */
	private async expired(meter: Meter, integrationId: string, token: string): Promise<boolean> {
		const expiresAt = this.retired.get(token);
		if (expiresAt === undefined || expiresAt > Date.now()) return false;
		return webhookTokenExpired(database(meteredD1(this.env.DB, meter)), integrationId, token);
	}

	/** What this ledger already holds for a request: `revoked`, the entry with its dedup key (or its id), or nothing. */
	private known(
		meter: Meter,
		dedupId: string | undefined,
		id: string | null = null,
	): "revoked" | LedgerEntry | undefined {
		if (this.revoked) return "revoked";
		const sql = this.sql(meter);
		// By dedup key, else by id (an export line's original id): each a primary or unique index seek.
		const row =
			(dedupId ? sql.one<{ entry: string }>`SELECT entry FROM entries WHERE dedup_id = ${dedupId}` : undefined) ??
			(id ? sql.one<{ entry: string }>`SELECT entry FROM entries WHERE id = ${id}` : undefined);
		return row && (JSON.parse(row.entry) as LedgerEntry);
	}

	/**
	 * Decides, in one transaction, what a webhook (or an import's line) does to
	 * the ledger, given what the ledger holds for it (`known`); `changed` is the
	 * entry D1 must get. `key` is what later requests are deduplicated by.
	 */
	private reserve(
		meter: Meter,
		request: DeployRequest,
		owner: AliasOwner | null,
		known: "revoked" | LedgerEntry | undefined,
		key = request.payload.dedup_id,
		imported?: number,
	): { outcome: RecordOutcome; changed?: LedgerEntry } {
		const { status } = request.payload;
		// One clock reading: a webhook deploy's id carries its received_at, as `idsBefore` relies on.
		const arrived = Date.now();
		const receivedAt = imported ?? arrived;
		if (known === "revoked") return { outcome: "revoked" };
		if (known) {
			const changed = status ? this.advanceStatus(meter, known, status, receivedAt) : undefined;
			return { outcome: "duplicate", changed };
		}
		const entry: LedgerEntry = {
			...request,
			serviceId: owner?.serviceId ?? null,
			// At arrival, even for an import's older received_at: ids order by arrival here, and retention relies on it.
			id: newId(arrived),
			deployNumber: this.nextNumber(meter, owner, request.payload),
			receivedAt,
			statuses: status ? [{ status: normalizeStatus(status), raw: status, at: receivedAt }] : [],
		};
		this.sql(meter).run`
			INSERT INTO entries (id, dedup_id, entry, received_at)
			VALUES (${entry.id}, ${key ?? null}, ${JSON.stringify(entry)}, ${receivedAt})`;
		return { outcome: "accepted", changed: entry };
	}

	/**
	 * A repeated dedup_id creates nothing, but may carry news: a status that moves
	 * the deploy forward is recorded, and the entry is due for D1 again.
	 */
	private advanceStatus(meter: Meter, entry: LedgerEntry, raw: string, at: number): LedgerEntry | undefined {
		const status = normalizeStatus(raw);
		if (!advances(currentStatus(entry.statuses), status)) return undefined;
		const changed = { ...entry, statuses: [...entry.statuses, { status, raw, at }] };
		this.sql(meter)
			.run`UPDATE entries SET entry = ${JSON.stringify(changed)}, delivered_at = NULL WHERE id = ${entry.id}`;
		return changed;
	}

	/**
	 * Numbers run per service (per alias while unmatched): one more than the
	 * highest numeric number seen so far, pipeline-supplied ones included. Each
	 * alias also keeps the highest number given under it, and a service carries
	 * on from all of its current aliases': so numbering continues when an alias
	 * with history is claimed or moved, and never repeats a number the alias
	 * brought along.
	 */
	private nextNumber(meter: Meter, owner: AliasOwner | null, payload: DeployPayload): string {
		const aliasSequence = `alias:${aliasKey(payload.service)}`;
		const key = owner ? `service:${owner.serviceId}` : aliasSequence;
		const sources = [key, aliasSequence, ...(owner?.aliasKeys ?? []).map((k) => `alias:${k}`)];
		const supplied = payload.deploy_number;
		if (supplied !== undefined && !/^\d{1,15}$/.test(supplied)) return supplied;
		const sql = this.sql(meter);
		const last =
			supplied === undefined
				? (sql.one<{ next: number }>`
						SELECT coalesce(max(last), 0) + 1 AS next FROM sequences
						WHERE key IN (SELECT value FROM json_each(${JSON.stringify(sources)}))`?.next ?? 1)
				: Number(supplied);
		for (const sequence of new Set([key, aliasSequence])) {
			sql.run`
				INSERT INTO sequences (key, last) VALUES (${sequence}, ${last})
				ON CONFLICT (key) DO UPDATE SET last = max(last, excluded.last)`;
		}
		return supplied ?? String(last);
	}

	/** This object's SQLite, each statement's rows added to `meter`. */
	private sql(meter: Meter): Sql {
		return sqlOn(this.ctx.storage.sql, meter);
	}
}
