import type { BatchItem } from "drizzle-orm/batch";
import { drizzle } from "drizzle-orm/d1";
import * as schema from "./schema";

/** What queries need of D1: the binding and a session of it (`withSession`, read replication) both have it. */
export type D1Reader = Pick<D1Database, "prepare" | "batch">;

export function database(d1: D1Reader) {
	// Drizzle's D1 driver types its client as the whole binding but calls only
	// prepare() and batch(), which a session has too.
	return drizzle(d1 as D1Database, { schema });
}

export type Database = ReturnType<typeof database>;

/** One statement of a D1 batch, for modules above db/ that add to a batch (an audit row) without naming Drizzle. */
export type Statement = BatchItem<"sqlite">;

/** `items` in runs of at most `size`: D1 binds at most 100 parameters per statement, so long lists go in several. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
	return Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));
}
