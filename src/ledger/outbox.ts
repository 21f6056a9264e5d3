import { Meter, meteredD1 } from "../cost/meter";
import { database } from "../db/client";
import { writeDeploys } from "../db/ingest";
import type { LedgerEntry } from "../model/entry";
import type { NotificationMessage } from "../model/notification";
import { sqlOn } from "./sql";

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
/** Deploys in one D1 batch: each takes up to four statements. */
const GROUP_MAX = 25;

/** An entry on its way to D1, with the request that waits for it. */
type Outgoing = { entry: LedgerEntry; meter: Meter; done: (landed: boolean) => void };

/**
 * The ledger's way to D1. An accepted entry is pending in the ledger's SQLite
 * (`delivered_at` unset) until D1 has it: the request that brought it delivers
 * it at once when it can, and the alarm delivers whatever is left, backing off
 * while D1 fails. This is the ledger's only D1 writer, so work that must not
 * overlap a write runs here too, between groups (see `chore`).
 */
export class Outbox {
	/** Entries waiting for the next D1 write, and whether one is in flight (see `deliver`). */
	private readonly waiting: Outgoing[] = [];
	private flushing = false;
	private readonly chores: (() => Promise<void>)[] = [];

	/**
	 * `d1` is asked at each write rather than kept, so the write uses whatever
	 * binding the ledger holds at that moment (the drills swap it in place).
	 * `notify` enqueues what D1 has just taken for notifications out: only
	 * after the write, so a receiver never hears of a deploy the API cannot show.
	 */
	constructor(
		private readonly storage: DurableObjectStorage,
		private readonly d1: () => D1Database,
		private readonly notify: (message: NotificationMessage) => Promise<unknown>,
	) {}

	/** How many accepted entries D1 does not have yet. */
	pending(): number {
		const row = sqlOn(this.storage.sql, new Meter()).one<{ n: number }>`
			SELECT count(*) AS n FROM entries WHERE delivered_at IS NULL`;
		return row?.n ?? 0;
	}

	/** Arms the first retry: for entries a previous incarnation accepted but may never have scheduled. */
	retrySoon(): Promise<void> {
		return this.ensureAlarm(Date.now() + RETRY_BASE_MS);
	}

	/**
	 * Delivers entries just made pending (in groups, see `deliver`), on behalf of
	 * the request that waits for them; whatever D1 does not take now, the alarm will.
	 */
	async send(meter: Meter, entries: LedgerEntry[]): Promise<void> {
		// A safety net first: should this object die before D1 has the change, the alarm delivers it.
		await this.ensureAlarm(Date.now() + SAFETY_NET_MS);
		const landed = await Promise.all(entries.map((entry) => this.deliver(meter, entry)));
		if (landed.includes(false)) await this.retrySoon();
	}

	/** The alarm's work: delivers pending entries, and keeps them moving even when that fails. */
	async alarm(): Promise<void> {
		try {
			await this.deliverPending();
		} catch (error) {
			// The runtime retries a failed alarm only a few times; after that, pending
			// entries would wait for the next deploy. A distant retry keeps them moving.
			await this.storage.setAlarm(Date.now() + RETRY_CAP_MS).catch(() => undefined);
			throw error;
		}
	}

	/** Runs `task` when no D1 write is in flight, before the next one starts. */
	chore<T>(task: () => Promise<T>): Promise<T> {
		return new Promise((resolve, reject) => {
			this.chores.push(() => task().then(resolve, reject));
			if (!this.flushing) void this.flush();
		});
	}

	/** Ids of the entries queued for the next D1 write. */
	queued(): Set<string> {
		return new Set(this.waiting.map((item) => item.entry.id));
	}

	/** Delivers the oldest pending entries, then schedules the next round if any are left. */
	private async deliverPending(): Promise<void> {
		const meter = new Meter();
		const sql = sqlOn(this.storage.sql, meter);
		const pending = sql.all<{ entry: string }>`
				SELECT entry FROM entries WHERE delivered_at IS NULL ORDER BY received_at, id LIMIT ${ALARM_BATCH}`.map(
			(row) => JSON.parse(row.entry) as LedgerEntry,
		);
		const landed = await Promise.all(pending.map((entry) => this.deliver(meter, entry)));
		const failures = landed.filter((ok) => !ok).length;

		const remaining = sql.one<{ left: number; attempts: number | null }>`
			SELECT count(*) AS left, max(attempts) AS attempts FROM entries WHERE delivered_at IS NULL`;
		if (!remaining?.left) return;
		// Back off while D1 keeps failing; carry straight on when only the batch size held us back.
		const attempts = remaining.attempts ?? 1;
		const delay = failures > 0 ? Math.min(RETRY_BASE_MS * 2 ** (attempts - 1), RETRY_CAP_MS) : 0;
		await this.storage.setAlarm(Date.now() + delay);
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
			this.waiting.push({ entry, meter, done });
			if (!this.flushing) void this.flush();
		});
	}

	private async flush(): Promise<void> {
		this.flushing = true;
		try {
			while (this.waiting.length > 0 || this.chores.length > 0) {
				const chore = this.chores.shift();
				if (chore) {
					await chore();
					continue;
				}
				const group = this.waiting.splice(0, GROUP_MAX);
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

	/**
	 * One D1 batch for `group`, then one queue message naming its deploys; its
	 * cost is shared equally by the requests in it. A failed enqueue fails the
	 * write: the entries stay pending, and the retry (a no-op in D1) enqueues
	 * them again, so every change is announced at least once.
	 */
	private async write(group: Outgoing[]): Promise<boolean> {
		const shared = new Meter();
		try {
			const [first, ...rest] = group.map((item) => item.entry);
			if (!first) return true;
			await writeDeploys(database(meteredD1(this.d1(), shared)), [first, ...rest]);
			await this.notify({ type: "deploys", ids: group.map((item) => item.entry.id) });
			return true;
		} catch (error) {
			console.warn(`Delivery of ${group.length} deploy(s) to D1 and the notifications queue failed: ${String(error)}`);
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
		const sql = sqlOn(this.storage.sql, meter);
		let noted = landed;
		try {
			if (landed) {
				// Only if unchanged meanwhile: a newer status must still be delivered.
				sql.run`UPDATE entries SET delivered_at = ${Date.now()} WHERE id = ${entry.id} AND entry = ${JSON.stringify(entry)}`;
			} else {
				sql.run`UPDATE entries SET attempts = attempts + 1 WHERE id = ${entry.id}`;
			}
		} catch (error) {
			console.error(`Ledger could not note the D1 write of deploy ${entry.id}: ${String(error)}`);
			noted = false;
		} finally {
			done(noted);
		}
	}

	private async ensureAlarm(at: number): Promise<void> {
		const current = await this.storage.getAlarm();
		if (current === null || current > at) await this.storage.setAlarm(at);
	}
}
