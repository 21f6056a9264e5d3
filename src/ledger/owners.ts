import { Meter, meteredD1 } from "../cost/meter";
import { type AliasOwner, aliasKey, aliasOwnersByKey } from "../db/catalog";
import { database } from "../db/client";

/** Distinct aliases in one read: each is a bound parameter, and D1 takes at most 100 per query. */
const READ_MAX = 50;

/** A lookup waiting for the next read, with the request's meter and the way to answer it. */
type Waiting = { key: string; meter: Meter; done: (owner: AliasOwner | null) => void; fail: (error: unknown) => void };

/**
 * Who owns a new deploy's alias, read from D1 for every new deploy (nothing is
 * remembered: aliases move and go, and a remembered owner would need every
 * ledger told of each change). Lookups that come while a read is in flight go
 * together in the next one (as the outbox groups writes): under load one D1
 * query answers many deploys, and each is still read after its request came,
 * so it sees every alias change made before.
 */
export class Owners {
	private readonly waiting: Waiting[] = [];
	private reading = false;

	/** `d1` is asked at each read, as the outbox does, so a swapped binding is used at once. */
	constructor(private readonly d1: () => D1Database) {}

	/** Who owns `alias` now; the read's cost is shared by the lookups it answers. */
	of(meter: Meter, alias: string): Promise<AliasOwner | null> {
		return new Promise((done, fail) => {
			this.waiting.push({ key: aliasKey(alias), meter, done, fail });
			if (!this.reading) void this.read();
		});
	}

	private async read(): Promise<void> {
		this.reading = true;
		try {
			while (this.waiting.length > 0) {
				const group = this.take();
				const shared = new Meter();
				try {
					const owners = await aliasOwnersByKey(database(meteredD1(this.d1(), shared)), [
						...new Set(group.map((item) => item.key)),
					]);
					for (const item of group) item.done(owners.get(item.key) ?? null);
				} catch (error) {
					for (const item of group) item.fail(error);
				} finally {
					for (const item of group) item.meter.add(shared.share(group.length));
				}
			}
		} finally {
			this.reading = false;
		}
	}

	/** The oldest lookups, up to READ_MAX distinct aliases. */
	private take(): Waiting[] {
		const keys = new Set<string>();
		let count = 0;
		for (const item of this.waiting) {
			if (!keys.has(item.key) && keys.size === READ_MAX) break;
			keys.add(item.key);
			count++;
		}
		return this.waiting.splice(0, count);
	}
}
