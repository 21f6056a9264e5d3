import type { D1Reader } from "../db/client";

/**
 * What one operation costs in Cloudflare's billed units: D1 queries and the
 * rows they read and write, Durable Object requests and the rows their SQLite
 * storage reads and writes. Counts, not timings, so they do not depend on the
 * machine; the tests hold them to budgets and every response reports them.
 */
export type Cost = {
	d1Queries: number;
	d1RowsRead: number;
	d1RowsWritten: number;
	doRequests: number;
	doRowsRead: number;
	doRowsWritten: number;
};

export const NO_COST: Cost = {
	d1Queries: 0,
	d1RowsRead: 0,
	d1RowsWritten: 0,
	doRequests: 0,
	doRowsRead: 0,
	doRowsWritten: 0,
};

/** Accumulates the cost of one request (or one Durable Object call). */
export class Meter {
	readonly cost: Cost = { ...NO_COST };

	add(cost: Partial<Cost>): void {
		for (const [key, value] of Object.entries(cost) as [keyof Cost, number][]) this.cost[key] += value;
	}

	/** An equal share of this cost, for one of `parts` requests that incurred it together. */
	share(parts: number): Cost {
		return Object.fromEntries(Object.entries(this.cost).map(([key, value]) => [key, value / parts])) as Cost;
	}

	/** A D1 statement's reported meta; a batch adds one per statement. */
	d1(meta: Pick<D1Meta, "rows_read" | "rows_written">): void {
		this.add({ d1Queries: 1, d1RowsRead: meta.rows_read, d1RowsWritten: meta.rows_written });
	}

	/** A Durable Object SQLite cursor, once consumed. */
	sql(cursor: { rowsRead: number; rowsWritten: number }): void {
		this.add({ doRowsRead: cursor.rowsRead, doRowsWritten: cursor.rowsWritten });
	}
}

const HEADER_KEYS: [keyof Cost, string][] = [
	["d1Queries", "d1-queries"],
	["d1RowsRead", "d1-rows-read"],
	["d1RowsWritten", "d1-rows-written"],
	["doRequests", "do-requests"],
	["doRowsRead", "do-rows-read"],
	["doRowsWritten", "do-rows-written"],
];

/** The `Cost` response header: an RFC 8941 dictionary, e.g. `d1-queries=3, d1-rows-read=4, …`. */
export function costHeader(cost: Cost): string {
	return HEADER_KEYS.map(([key, name]) => `${name}=${cost[key]}`).join(", ");
}

export function parseCostHeader(header: string): Cost {
	const values = new Map(header.split(",").map((part) => part.trim().split("=") as [string, string]));
	return Object.fromEntries(HEADER_KEYS.map(([key, name]) => [key, Number(values.get(name) ?? 0)])) as Cost;
}

/**
 * The D1 binding or a session of it, metered, and otherwise the same object.
 * Reads go through `all()` even where the caller asked for `raw()` or
 * `first()`, because only `all()` and `run()` report rows read and written;
 * rows come back in column order, as Drizzle's own batches map them.
 */
export function meteredD1<D extends D1Reader>(d1: D, meter: Meter): D {
	const inner = new WeakMap<D1PreparedStatement, D1PreparedStatement>();
	const wrap = (statement: D1PreparedStatement): D1PreparedStatement => {
		const all = async () => {
			const result = await statement.all();
			meter.d1(result.meta);
			return result;
		};
		const wrapped = {
			bind: (...values: unknown[]) => wrap(statement.bind(...values)),
			all,
			run: async () => {
				const result = await statement.run();
				meter.d1(result.meta);
				return result;
			},
			first: async (column?: string) => {
				const row = (await all()).results[0] as Record<string, unknown> | undefined;
				return row === undefined ? null : column === undefined ? row : (row[column] ?? null);
			},
			raw: async (options?: { columnNames?: boolean }) => {
				const rows = (await all()).results as Record<string, unknown>[];
				const values = rows.map((row) => Object.values(row));
				return options?.columnNames ? [Object.keys(rows[0] ?? {}), ...values] : values;
			},
		} as unknown as D1PreparedStatement;
		inner.set(wrapped, statement);
		return wrapped;
	};
	return new Proxy(d1, {
		get(target, property, receiver) {
			if (property === "prepare") return (query: string) => wrap(target.prepare(query));
			if (property === "batch") {
				return async (statements: D1PreparedStatement[]) => {
					const results = await target.batch(statements.map((s) => inner.get(s) ?? s));
					for (const result of results) meter.d1(result.meta);
					return results;
				};
			}
			const value = Reflect.get(target, property, receiver);
			return typeof value === "function" ? value.bind(target) : value;
		},
	});
}
