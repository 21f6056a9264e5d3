import { database } from "../db/client";
import { integrationIds } from "../db/integrations";
import { sweepDeliveries, sweepDeploys, sweepSuggestions } from "../db/retention";
import type { Bindings } from "../env";
import { DAY } from "../http/datetime";
import { ledgerFor } from "../ledger/stub";
import { retentionDays } from "./window";

export type PurgeOptions = {
	/** Deploys are kept this many days after the tracker received them. */
	days: number;
	/** The moment the window is measured from (the cron's scheduled time). */
	now: number;
	/** Ledger entries per ledger call, and deploys per round of the D1 sweep. */
	batch?: number;
	/** Calls per ledger, and rounds of the D1 sweep, in one run at most: the next run carries on. */
	rounds?: number;
	/** Wall-clock budget of one run, in milliseconds. */
	budgetMs?: number;
};

export type PurgeReport = {
	cutoff: number;
	/** Deploys deleted from D1, through the ledgers and by the sweep. */
	deploys: number;
	/** Ledger entries forgotten. */
	entries: number;
	suggestions: number;
	/** Notification deliveries (the delivery log's rows) deleted. */
	deliveries: number;
	/** Ledgers that could not be purged this run (they are tried again next run). */
	failedLedgers: number;
	/** False when the run stopped early; the next one continues. */
	done: boolean;
};

const BATCH = 500;
/** Bounds one run even when every call is fast; a backlog takes several days' runs. */
const ROUNDS = 200;
/** Well inside the 15 minutes a daily Cron Trigger may run. */
const BUDGET_MS = 5 * 60_000;
/** Ledgers purged at once: enough to overlap their D1 round trips, few enough not to crowd D1. */
const FAN_OUT = 4;

/**
 * Deletes what is older than the retention window: deploys (with their status
 * history) received more than `days` days before `now`, from D1 and from every
 * integration's ledger, live or revoked, and the notification deliveries made
 * before then (their bodies copy deploys).
 *
 * Each ledger purges itself (see `Ledger.purge`): it deletes its old delivered
 * deploys from D1 first and only then forgets their dedup_ids, so D1 never holds
 * a dedup_id its ledger would accept again. A sweep of D1 follows for deploys no
 * ledger knows; deleting from D1 alone is always safe. Work is bounded per run
 * (`rounds`, `budgetMs`) and each step is idempotent, so the next run continues.
 */
export async function purgeExpired(env: Bindings, options: PurgeOptions): Promise<PurgeReport> {
	const { batch = BATCH, rounds = ROUNDS, budgetMs = BUDGET_MS } = options;
	const cutoff = options.now - options.days * DAY;
	const deadline = Date.now() + budgetMs;
	const report: PurgeReport = {
		cutoff,
		deploys: 0,
		entries: 0,
		suggestions: 0,
		deliveries: 0,
		failedLedgers: 0,
		done: true,
	};
	const db = database(env.DB);

	const ids = await integrationIds(db);
	const purgeLedger = async (id: string) => {
		const ledger = ledgerFor(env.LEDGER, id);
		for (let round = 0; round < rounds; round++) {
			if (Date.now() >= deadline) return false;
			const result = await ledger.purge(cutoff, batch);
			report.entries += result.entries;
			report.deploys += result.deploys;
			if (!result.more) return true;
		}
		return false;
	};
	const worker = async () => {
		for (let id = ids.shift(); id !== undefined; id = ids.shift()) {
			try {
				if (!(await purgeLedger(id))) report.done = false;
			} catch (error) {
				console.error(`Retention: the ledger of integration ${id} could not be purged: ${String(error)}`);
				report.failedLedgers += 1;
				report.done = false;
			}
		}
	};
	await Promise.all(Array.from({ length: FAN_OUT }, worker));

	const bounds = { rounds, deadline, batch };
	const swept = await sweepAll((limit) => sweepDeploys(db, cutoff, limit), bounds);
	report.deploys += swept.deleted;
	if (swept.finished) report.suggestions = await sweepSuggestions(db);
	const log = await sweepAll((limit) => sweepDeliveries(db, cutoff, limit), bounds);
	report.deliveries = log.deleted;
	report.done &&= swept.finished && log.finished;
	return report;
}

/**
 * Runs `round` (each deleting up to a batch) until one deletes less than a batch,
 * within the run's bounds; answers how many went and whether it got to the end.
 */
async function sweepAll(
	round: (limit: number) => Promise<number>,
	{ rounds, deadline, batch }: { rounds: number; deadline: number; batch: number },
): Promise<{ deleted: number; finished: boolean }> {
	let deleted = 0;
	for (let i = 0; i < rounds && Date.now() < deadline; i++) {
		const count = await round(batch);
		deleted += count;
		if (count < batch) return { deleted, finished: true };
	}
	return { deleted, finished: false };
}

/**
 * The Cron Trigger: purges by RETENTION_DAYS, measured from the trigger's
 * scheduled time; does nothing while it is unset.
 */
export const scheduled: ExportedHandlerScheduledHandler<Bindings> = async (controller, env) => {
	const days = retentionDays(env.RETENTION_DAYS);
	if (days === undefined) return;
	const report = await purgeExpired(env, { days, now: controller.scheduledTime });
	const purged = `${report.deploys} deploys, ${report.entries} ledger entries, ${report.suggestions} suggestions, ${report.deliveries} notification deliveries`;
	const line = `Retention (${days} days, received before ${new Date(report.cutoff).toISOString()}): purged ${purged}`;
	if (report.failedLedgers > 0)
		console.error(`${line}; ${report.failedLedgers} ledgers failed, the next run retries them.`);
	else console.log(`${line}; ${report.done ? "done" : "not finished, the next run continues"}.`);
};
