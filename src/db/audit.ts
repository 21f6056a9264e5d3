import { and, desc, eq, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Database } from "./client";
import { auditEvents } from "./schema";

/** Adds one audit event: a statement for the batch that makes the change it records. */
export function insertAuditEvent(db: Database, row: typeof auditEvents.$inferInsert): BatchItem<"sqlite"> {
	return db.insert(auditEvents).values(row);
}

export type AuditFilter = {
	target?: { type: string; id?: string };
	action?: string;
	before?: { at: number; id: string };
	limit: number;
};

/** Audit events newest first; a target filter is served by its own index. */
export function listAuditEvents(db: Database, f: AuditFilter) {
	return db
		.select()
		.from(auditEvents)
		.where(
			and(
				f.target === undefined ? undefined : eq(auditEvents.targetType, f.target.type),
				f.target?.id === undefined ? undefined : eq(auditEvents.targetId, f.target.id),
				f.action === undefined ? undefined : eq(auditEvents.action, f.action),
				f.before === undefined
					? undefined
					: sql`(${auditEvents.at}, ${auditEvents.id}) < (${f.before.at}, ${f.before.id})`,
			),
		)
		.orderBy(desc(auditEvents.at), desc(auditEvents.id))
		.limit(f.limit);
}
