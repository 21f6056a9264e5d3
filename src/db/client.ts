import type { BatchItem } from "drizzle-orm/batch";
import { drizzle } from "drizzle-orm/d1";
import * as schema from "./schema";

export function database(d1: D1Database) {
	return drizzle(d1, { schema });
}

export type Database = ReturnType<typeof database>;

/** One statement of a D1 batch, for modules above db/ that add to a batch (an audit row) without naming Drizzle. */
export type Statement = BatchItem<"sqlite">;

/** `items` in runs of at most `size`: D1 binds at most 100 parameters per statement, so long lists go in several. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
	return Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));
}
