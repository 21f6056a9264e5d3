import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { Integration } from "../helpers";

/** The integration's ledger. */
export const ledgerOf = (integration: Integration) => env.LEDGER.get(env.LEDGER.idFromName(integration.id));

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
