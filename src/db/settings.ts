import { eq } from "drizzle-orm";
import type { Database, Statement } from "./client";
import { settings } from "./schema";

/** A setting's row by its key (one primary-key seek), or undefined when it was never set. */
export function findSetting(db: Database, key: string) {
	return db.select().from(settings).where(eq(settings.key, key)).get();
}

/** Sets `key` to `value` (JSON text), whether or not it was set before. */
export function upsertSetting(db: Database, key: string, value: string, now: number): Statement {
	return db
		.insert(settings)
		.values({ key, value, updatedAt: now })
		.onConflictDoUpdate({ target: settings.key, set: { value, updatedAt: now } });
}
