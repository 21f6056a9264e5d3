import { Meter } from "../cost/meter";
import { database } from "../db/client";
import { idsBefore } from "../db/ids";
import { deleteDeploys } from "../db/retention";
import type { Outbox } from "./outbox";
import { sqlOn } from "./sql";

/** What one `purge` call forgot, and whether more is due. */
export type PurgeResult = { entries: number; deploys: number; more: boolean };

/** Entries one `purge` call forgets at most: one bounded D1 batch. */
export const PURGE_MAX = 500;

/**
 * The work of `Ledger.purge`, which runs it as a chore of the outbox: deletes up
 * to `limit` delivered entries' deploys received before `cutoff` from D1, then
 * forgets the entries, except those queued for delivery or pending again by then.
 */
export async function forgetDelivered(
	storage: DurableObjectStorage,
	d1: D1Database,
	outbox: Outbox,
	cutoff: number,
	limit: number,
): Promise<PurgeResult> {
	const sql = sqlOn(storage.sql, new Meter());
	const bounded = Math.max(1, Math.min(limit, PURGE_MAX));
	const skip = outbox.queued();
	const found = sql.all<{ id: string }>`
		SELECT id FROM entries
		WHERE id < ${idsBefore(cutoff)} AND received_at < ${cutoff} AND delivered_at IS NOT NULL
		ORDER BY id LIMIT ${bounded}`;
	const candidates = found.map((row) => row.id).filter((id) => !skip.has(id));
	const deploys = await deleteDeploys(database(d1), candidates);

	const kept = outbox.queued();
	let entries = 0;
	storage.transactionSync(() => {
		for (const id of candidates) {
			if (kept.has(id)) continue;
			entries += sql.all`DELETE FROM entries WHERE id = ${id} AND delivered_at IS NOT NULL RETURNING id`.length;
		}
	});
	return { entries, deploys, more: found.length === bounded };
}
