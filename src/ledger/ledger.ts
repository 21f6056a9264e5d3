import { DurableObject } from "cloudflare:workers";
import { type Cost, Meter, meteredD1 } from "../cost/meter";
import { aliasKey, serviceIdForAlias } from "../db/catalog";
import { database } from "../db/client";
import { writeDeploys } from "../db/deploys";
import { newId } from "../db/ids";
import { webhookTokenExpired } from "../db/integrations";
import { deleteDeploys } from "../db/retention";
import type { Bindings } from "../env";
import { advances, currentStatus, normalizeStatus } from "../model/status";
import { idsBefore } from "../retention/window";
import type { DeployPayload } from "../webhook/payload";
import type { DeployRequest, LedgerEntry } from "./entry";
import { migrate } from "./migrations";
import { type RateLimit, rateLimitFrom } from "./rate-limit";

export type RecordOutcome = "accepted" | "duplicate" | "revoked" | "expired" | "limited";

/**
 * What `record` did (for a new deploy: whether its alias matched a service;
 * when limited: how many seconds to wait), and what it cost.
 */
export type RecordResult = { outcome: RecordOutcome; matched: boolean; retryAfter?: number; cost: Cost };

/** What `record` would do with a request (for a new deploy: the service its alias matches), and what finding out cost. */
export type CheckResult = { outcome: RecordOutcome; serviceId: string | null; retryAfter?: number; cost: Cost };

/** What one `purge` call forgot, and whether more is due. */
export type PurgeResult = { entries: number; deploys: number; more: boolean };

/** First retry of an undelivered deploy, doubling per failed attempt up to the cap. */
const RETRY_BASE_MS = 5_000;
/**
 * The alarm armed before each D1 write, in case this object dies mid-request.
 * Long enough that a busy ledger wakes for it at most once a minute (each
 * alarm is a billed request); a failed write arms the sooner retry instead.
 */
const SAFETY_NET_MS = 60_000;
const RETRY_CAP_MS = 10 * 60_000;
/** Entries one alarm delivers before it schedules the next round. */
const ALARM_BATCH = 50;
/** Aliases whose owner a ledger remembers; past this it starts over. */
const OWNERS_CACHED = 1_000;
/** Deploys in one D1 batch: each takes up to four statements. */
const GROUP_MAX = 25;
/** Entries one `purge` call forgets at most: one bounded D1 batch. */
const PURGE_MAX = 500;

/** An entry on its way to D1, with the request that waits for it. */
type Outgoing = { entry: LedgerEntry; meter: Meter; done: (landed: boolean) => void };

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
	private readonly sql: SqlStorage;
	/** Entries waiting for the next D1 write, and whether one is in flight (see `deliver`). */
	private readonly outbox: Outgoing[] = [];
	private flushing = false;
	/** Work that must not overlap a D1 write, run by the writer between groups (see `purge`). */
	private readonly chores: (() => Promise<void>)[] = [];
	/** Alias key → owning service, for aliases seen here (see `serviceFor`). */
	private readonly owners = new Map<string, string>();
	/** How fast this integration may post; duplicates count too (a retry loop is what it stops). */
	private readonly limit: RateLimit;
	/**
	 * Retired webhook tokens → their expiry, all of them (one per rotation):
	 * held in memory so the check costs nothing per deploy, and exact, since
	 * this one object is the only place they are written (see `retire`).
	 */
	private readonly retired = new Map<string, number>();

	constructor(ctx: DurableObjectState, env: Bindings) {
		super(ctx, env);
		this.sql = ctx.storage.sql;
		this.limit = rateLimitFrom(env);
		ctx.storage.transactionSync(() => migrate(this.sql));
		for (const { token, expires_at } of this.sql.exec<{ token: string; expires_at: number }>(
			"SELECT token, expires_at FROM retired_tokens",
		)) {
			this.retired.set(token, expires_at);
		}
		// A previous incarnation may have died between accepting a deploy and
		// arming the alarm; whatever is pending gets delivered.
		if (this.pending() > 0) void ctx.blockConcurrencyWhile(() => this.ensureAlarm(Date.now() + RETRY_BASE_MS));
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
		const serviceId = seen === undefined ? await this.serviceFor(meter, request.payload.service) : null;
		const { outcome, changed } = this.ctx.storage.transactionSync(() =>
			this.reserve(meter, request, serviceId, seen ?? this.known(meter, dedupId)),
		);
		if (changed) {
			// A safety net first: should this object die before D1 has the change, the alarm delivers it.
			await this.ensureAlarm(Date.now() + SAFETY_NET_MS);
			if (!(await this.deliver(meter, changed))) await this.ensureAlarm(Date.now() + RETRY_BASE_MS);
		}
		return { outcome, matched: serviceId !== null, cost: meter.cost };
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
		const serviceId = await this.serviceFor(meter, request.payload.service);
		return { outcome: "accepted", serviceId, cost: meter.cost };
	}

	/** After this, the ledger accepts nothing more; entries already accepted still reach D1. */
	async revoke(): Promise<void> {
		this.rows(new Meter(), "INSERT OR REPLACE INTO settings (key, value) VALUES ('revoked_at', ?)", String(Date.now()));
	}

	/**
	 * From `expiresAt` on, deploys sent with `token` are refused, whichever
	 * Worker still caches it as a live URL. Told before D1 records the rotation,
	 * so there is no moment when D1 has it and this ledger does not.
	 */
	async retire(token: string, expiresAt: number): Promise<void> {
		this.rows(new Meter(), "INSERT OR REPLACE INTO retired_tokens (token, expires_at) VALUES (?, ?)", token, expiresAt);
		this.retired.set(token, expiresAt);
	}

	/** How many accepted entries D1 does not have yet. */
	async pendingCount(): Promise<number> {
		return this.pending();
	}

	override async alarm(): Promise<void> {
		try {
			await this.deliverPending();
		} catch (error) {
			// The runtime retries a failed alarm only a few times; after that, pending
			// entries would wait for the next deploy. A distant retry keeps them moving.
			await this.ctx.storage.setAlarm(Date.now() + RETRY_CAP_MS).catch(() => undefined);
			throw error;
		}
	}

	/**
	 * Forgets delivered entries received before `cutoff` (never pending ones),
	 * deleting their deploys from D1 first, so D1 never holds a dedup_id this
	 * ledger has forgotten: a retry of a forgotten one is accepted as new, and its
	 * insert must not meet the old row on D1's unique (integration, dedup_id).
	 * At most `limit` entries per call; `more` says another call is due.
	 *
	 * It runs as a chore of the D1 writer, so no delivery is in flight between
	 * the D1 delete and forgetting: none can put a deploy back in D1 meanwhile.
	 * Entries queued for delivery, or marked pending again by a newer status while
	 * D1 deleted, are kept for a later purge. Dying between the two steps leaves
	 * this ledger remembering more than D1 holds, which is safe: the next purge
	 * finishes the job.
	 */
	async purge(cutoff: number, limit = PURGE_MAX): Promise<PurgeResult> {
		return new Promise((resolve, reject) => {
			this.chores.push(() => this.forget(cutoff, Math.max(1, Math.min(limit, PURGE_MAX))).then(resolve, reject));
			if (!this.flushing) void this.flush();
		});
	}

	private async forget(cutoff: number, limit: number): Promise<PurgeResult> {
		const meter = new Meter();
		const queued = () => new Set(this.outbox.map((item) => item.entry.id));
		const skip = queued();
		const found = this.rows<{ id: string }>(
			meter,
			"SELECT id FROM entries WHERE id < ? AND received_at < ? AND delivered_at IS NOT NULL ORDER BY id LIMIT ?",
			idsBefore(cutoff),
			cutoff,
			limit,
		);
		const candidates = found.map((row) => row.id).filter((id) => !skip.has(id));
		const deploys = await deleteDeploys(database(this.env.DB), candidates);

		const kept = queued();
		let entries = 0;
		this.ctx.storage.transactionSync(() => {
			for (const id of candidates) {
				if (kept.has(id)) continue;
				entries += this.rows(
					meter,
					"DELETE FROM entries WHERE id = ? AND delivered_at IS NOT NULL RETURNING id",
					id,
				).length;
			}
		});
		return { entries, deploys, more: found.length === limit };
	}

	/** Delivers the oldest pending entries, then schedules the next round if any are left. */
	private async deliverPending(): Promise<void> {
		const meter = new Meter();
		const pending = this.rows<{ entry: string }>(
			meter,
			"SELECT entry FROM entries WHERE delivered_at IS NULL ORDER BY received_at, id LIMIT ?",
			ALARM_BATCH,
		).map((row) => JSON.parse(row.entry) as LedgerEntry);
		const landed = await Promise.all(pending.map((entry) => this.deliver(meter, entry)));
		const failures = landed.filter((ok) => !ok).length;

		const [remaining] = this.rows<{ left: number; attempts: number | null }>(
			meter,
			"SELECT count(*) AS left, max(attempts) AS attempts FROM entries WHERE delivered_at IS NULL",
		);
		if (!remaining?.left) return;
		// Back off while D1 keeps failing; carry straight on when only the batch size held us back.
		const attempts = remaining.attempts ?? 1;
		const delay = failures > 0 ? Math.min(RETRY_BASE_MS * 2 ** (attempts - 1), RETRY_CAP_MS) : 0;
		await this.ctx.storage.setAlarm(Date.now() + delay);
	}

	/**
	 * The service that owns `alias`. Owners are remembered: an alias, once
	 * claimed, never changes hands (nothing in the API moves or deletes one), so
	 * a remembered owner cannot go stale. "Nobody" is not remembered: a claim
	 * must take effect at once. Should aliases ever move, this must be invalidated.
	 */
	private async serviceFor(meter: Meter, alias: string): Promise<string | null> {
		const key = aliasKey(alias);
		const known = this.owners.get(key);
		if (known) return known;
		const owner = await serviceIdForAlias(database(meteredD1(this.env.DB, meter)), alias);
		if (owner) {
			if (this.owners.size >= OWNERS_CACHED) this.owners.clear();
			this.owners.set(key, owner);
		}
		return owner;
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

	/** What this ledger already holds for a request: `revoked`, the entry with its dedup_id, or nothing. */
	private known(meter: Meter, dedupId: string | undefined): "revoked" | LedgerEntry | undefined {
		if (this.rows(meter, "SELECT 1 FROM settings WHERE key = 'revoked_at'").length > 0) return "revoked";
		if (!dedupId) return undefined;
		const [row] = this.rows<{ entry: string }>(meter, "SELECT entry FROM entries WHERE dedup_id = ?", dedupId);
		return row && (JSON.parse(row.entry) as LedgerEntry);
	}

	/**
	 * Decides, in one transaction, what a webhook does to the ledger, given what
	 * the ledger holds for it (`known`); `changed` is the entry D1 must get.
	 */
	private reserve(
		meter: Meter,
		request: DeployRequest,
		serviceId: string | null,
		known: "revoked" | LedgerEntry | undefined,
	): { outcome: RecordOutcome; changed?: LedgerEntry } {
		const { dedup_id: dedupId, status } = request.payload;
		const receivedAt = Date.now();
		if (known === "revoked") return { outcome: "revoked" };
		if (known) {
			const changed = status ? this.advanceStatus(meter, known, status, receivedAt) : undefined;
			return { outcome: "duplicate", changed };
		}
		const entry: LedgerEntry = {
			...request,
			serviceId,
			id: newId(receivedAt),
			deployNumber: this.nextNumber(meter, serviceId, request.payload),
			receivedAt,
			statuses: status ? [{ status: normalizeStatus(status), raw: status, at: receivedAt }] : [],
		};
		this.rows(
			meter,
			"INSERT INTO entries (id, dedup_id, entry, received_at) VALUES (?, ?, ?, ?)",
			entry.id,
			dedupId ?? null,
			JSON.stringify(entry),
			receivedAt,
		);
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
		this.rows(
			meter,
			"UPDATE entries SET entry = ?, delivered_at = NULL WHERE id = ?",
			JSON.stringify(changed),
			entry.id,
		);
		return changed;
	}

	/**
	 * Numbers run per service (per alias while unmatched): one more than the
	 * highest numeric number seen so far, pipeline-supplied ones included. A
	 * service's sequence carries on from its alias's, so numbering continues
	 * when an alias with history is claimed.
	 */
	private nextNumber(meter: Meter, serviceId: string | null, payload: DeployPayload): string {
		const aliasSequence = `alias:${aliasKey(payload.service)}`;
		const key = serviceId ? `service:${serviceId}` : aliasSequence;
		const supplied = payload.deploy_number;
		if (supplied === undefined) {
			const [next] = this.rows<{ last: number }>(
				meter,
				`INSERT INTO sequences (key, last)
				 SELECT ?, coalesce(max(last), 0) + 1 FROM sequences WHERE key IN (?, ?)
				 ON CONFLICT (key) DO UPDATE SET last = excluded.last
				 RETURNING last`,
				key,
				key,
				aliasSequence,
			);
			return String(next?.last);
		}
		if (/^\d{1,15}$/.test(supplied)) {
			this.rows(
				meter,
				"INSERT INTO sequences (key, last) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET last = max(last, excluded.last)",
				key,
				Number(supplied),
			);
		}
		return supplied;
	}

	/**
	 * Copies an entry into D1 and says whether it landed; if not, it stays
	 * pending for the alarm. Entries that come while a write is in flight go
	 * together in the next one (group commit): under load one D1 round trip
	 * carries many deploys, and each request still answers only once its own
	 * deploy is in D1.
	 */
	private deliver(meter: Meter, entry: LedgerEntry): Promise<boolean> {
		return new Promise((done) => {
			this.outbox.push({ entry, meter, done });
			if (!this.flushing) void this.flush();
		});
	}

	private async flush(): Promise<void> {
		this.flushing = true;
		try {
			while (this.outbox.length > 0 || this.chores.length > 0) {
				const chore = this.chores.shift();
				if (chore) {
					await chore();
					continue;
				}
				const group = this.outbox.splice(0, GROUP_MAX);
				if (await this.write(group)) {
					for (const item of group) this.settle(item, true);
				} else {
					// One bad entry must not hold back the rest: a failed group is retried one by one.
					for (const item of group) this.settle(item, group.length > 1 && (await this.write([item])));
				}
			}
		} finally {
			this.flushing = false;
		}
	}

	/** One D1 batch for `group`; its cost is shared equally by the requests in it. */
	private async write(group: Outgoing[]): Promise<boolean> {
		const shared = new Meter();
		try {
			const [first, ...rest] = group.map((item) => item.entry);
			if (first) await writeDeploys(database(meteredD1(this.env.DB, shared)), [first, ...rest]);
			return true;
		} catch (error) {
			console.warn(`D1 write of ${group.length} deploy(s) failed: ${String(error)}`);
			return false;
		} finally {
			for (const item of group) item.meter.add(shared.share(group.length));
		}
	}

	/**
	 * Notes the outcome of a write and answers the request waiting for it, always:
	 * if this object's own storage fails here, the entry counts as undelivered and
	 * stays pending, so the alarm writes it again, which D1 takes as a no-op.
	 */
	private settle({ entry, meter, done }: Outgoing, landed: boolean): void {
		let noted = landed;
		try {
			if (landed) {
				// Only if unchanged meanwhile: a newer status must still be delivered.
				this.rows(
					meter,
					"UPDATE entries SET delivered_at = ? WHERE id = ? AND entry = ?",
					Date.now(),
					entry.id,
					JSON.stringify(entry),
				);
			} else {
				this.rows(meter, "UPDATE entries SET attempts = attempts + 1 WHERE id = ?", entry.id);
			}
		} catch (error) {
			console.error(`Ledger could not note the D1 write of deploy ${entry.id}: ${String(error)}`);
			noted = false;
		} finally {
			done(noted);
		}
	}

	private pending(): number {
		const [row] = this.rows<{ n: number }>(new Meter(), "SELECT count(*) AS n FROM entries WHERE delivered_at IS NULL");
		return row?.n ?? 0;
	}

	/** Runs a statement on this object's SQLite and meters the rows it read and wrote. */
	private rows<T extends Record<string, SqlStorageValue>>(meter: Meter, query: string, ...bindings: unknown[]): T[] {
		const cursor = this.sql.exec<T>(query, ...bindings);
		const rows = cursor.toArray();
		meter.sql(cursor);
		return rows;
	}

	private async ensureAlarm(at: number): Promise<void> {
		const current = await this.ctx.storage.getAlarm();
		if (current === null || current > at) await this.ctx.storage.setAlarm(at);
	}
}
