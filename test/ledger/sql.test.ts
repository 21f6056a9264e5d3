import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { Meter } from "../../src/cost/meter";
import { type Sql, sqlOn } from "../../src/ledger/sql";
import { ledgerFor } from "../../src/ledger/stub";
import { unique } from "../helpers";

/**
 * Runs `fn` against the SQLite of a fresh ledger (one no integration uses), in
 * a scratch table `t (k TEXT PRIMARY KEY, v)`, with a meter of its own.
 */
function withScratch<T>(fn: (sql: Sql, meter: Meter, storage: SqlStorage) => T): Promise<T> {
	return runInDurableObject(ledgerFor(env.LEDGER, unique("sql-test")), (_, state) => {
		const storage = state.storage.sql;
		storage.exec("CREATE TABLE t (k TEXT PRIMARY KEY, v)");
		const meter = new Meter();
		return fn(sqlOn(storage, meter), meter, storage);
	});
}

describe("the ledger's SQL template", () => {
	it("binds every interpolated value as a parameter, in order, so text from outside never becomes SQL", async () => {
		const hostile = "x'); DROP TABLE t; --";

		const rows = await withScratch((sql) => {
			sql.run`INSERT INTO t (k, v) VALUES (${hostile}, ${1}), (${"plain"}, ${null})`;
			return sql.all<{ k: string; v: number | null }>`SELECT k, v FROM t ORDER BY k`;
		});

		expect(rows).toEqual([
			{ k: "plain", v: null },
			{ k: hostile, v: 1 },
		]);
	});

	it("binds a value that sits at the very start or end of the text, and runs text with none", async () => {
		const found = await withScratch((sql) => {
			sql.run`INSERT INTO t (k, v) VALUES ('a', 1), ('b', 2), ('c', 3)`;
			return sql.all<{ k: string }>`SELECT k FROM t WHERE v >= ${2} ORDER BY k LIMIT ${1}`;
		});

		expect(found).toEqual([{ k: "b" }]);
	});

	it("answers `one` with the single row, undefined for none, and refuses a query that yields several", async () => {
		const answers = await withScratch((sql) => {
			sql.run`INSERT INTO t (k, v) VALUES ('a', 1), ('b', 1)`;
			const single = sql.one<{ k: string }>`SELECT k FROM t WHERE k = ${"a"}`;
			const none = sql.one<{ k: string }>`SELECT k FROM t WHERE k = ${"z"}`;
			let several: string | undefined;
			try {
				sql.one`SELECT k FROM t WHERE v = ${1}`;
			} catch (error) {
				several = String(error);
			}
			return { single, none, several };
		});

		expect(answers).toEqual({
			single: { k: "a" },
			none: undefined,
			several: "Error: Expected at most one row, got 2: SELECT k FROM t WHERE v = ?",
		});
	});

	it("adds the rows each statement reads and writes to the meter, as SQLite counts them", async () => {
		const { metered, counted } = await withScratch((sql, meter, storage) => {
			sql.run`INSERT INTO t (k, v) VALUES (${"a"}, ${1}), (${"b"}, ${2})`;
			sql.all`SELECT * FROM t`;
			// The same statements run directly: what the cursors report is what Cloudflare bills.
			storage.exec("DELETE FROM t");
			const insert = storage.exec("INSERT INTO t (k, v) VALUES (?, ?), (?, ?)", "a", 1, "b", 2);
			insert.toArray();
			const select = storage.exec("SELECT * FROM t");
			select.toArray();
			return {
				metered: { read: meter.cost.doRowsRead, written: meter.cost.doRowsWritten },
				counted: { read: insert.rowsRead + select.rowsRead, written: insert.rowsWritten + select.rowsWritten },
			};
		});

		expect(metered).toEqual(counted);
		expect(metered.written).toBeGreaterThanOrEqual(2);
		expect(metered.read).toBeGreaterThanOrEqual(2);
	});
});
