import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { ledgerFor } from "../../src/ledger/stub";
import type { Integration } from "../helpers";

/** The integration's ledger. */
export const ledgerOf = (integration: Pick<Integration, "id">) => ledgerFor(env.LEDGER, integration.id);

/** Everything a deploy leaves behind for `integration`: D1 rows, the ledger's entries and deploy-number sequences. */
export async function tracesOf(integration: Pick<Integration, "id">) {
	const d1 = await env.DB.prepare(
		`SELECT (SELECT count(*) FROM deploys WHERE integration_id = ?1) AS deploys,
			(SELECT count(*) FROM suggestions) AS suggestions`,
	)
		.bind(integration.id)
		.first<{ deploys: number; suggestions: number }>();
	const ledger = await runInDurableObject(ledgerOf(integration), (_, state) => ({
		entries: state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM entries").one().n,
		sequences: state.storage.sql.exec("SELECT key, last FROM sequences ORDER BY key").toArray(),
	}));
	return { ...d1, ...ledger };
}

/** Polls `condition` until it holds; fails after about five seconds. */
export async function until(condition: () => Promise<boolean>): Promise<void> {
	for (let look = 0; look < 100; look++) {
		if (await condition()) return;
		await scheduler.wait(50);
	}
	throw new Error("condition never held");
}

/**
 * Routes every D1 batch of the running ledger instance through `around`, which
 * gets the statements and `send`, the real batch. Only that instance is
 * affected; a fresh one gets the real binding.
 */
export async function interceptLedgerBatches(
	integration: Integration,
	around: (statements: D1PreparedStatement[], send: () => Promise<D1Result[]>) => Promise<D1Result[]>,
): Promise<void> {
	await runInDurableObject(ledgerOf(integration), (instance) => {
		const intercepted = new Proxy(env.DB, {
			get: (target, property) =>
				property === "batch"
					? (statements: D1PreparedStatement[]) => around(statements, () => target.batch(statements))
					: Reflect.get(target, property).bind(target),
		});
		(instance as unknown as { env: Cloudflare.Env }).env = { ...env, DB: intercepted };
	});
}

/**
 * Runs the ledger's alarm until nothing is pending. The runtime may fire a due
 * alarm on its own meanwhile, so "no alarm scheduled" means "wait and look
 * again"; a ledger left with pending entries and no alarm fails here.
 */
export async function drain(integration: Pick<Integration, "id">): Promise<void> {
	const ledger = ledgerOf(integration);
	for (let look = 0; look < 100 && (await ledger.pendingCount()) > 0; look++) {
		if (!(await runDurableObjectAlarm(ledger))) await scheduler.wait(50);
	}
	expect(await ledger.pendingCount()).toBe(0);
}
