import { z } from "zod";
import { principalName } from "../access/principal";
import { type AuditFilter, insertAuditEvent, listAuditEvents } from "../db/audit";
import type { Database } from "../db/client";
import { newId } from "../db/ids";
import type { AuditEventRow } from "../db/schema";
import { decodeCursor, encodeCursor } from "../http/cursor";
import type { Actor } from "./actor";

/** What an audit event can be about. */
export const AUDIT_TARGET_TYPES = [
	"integration",
	"service",
	"suggestion",
	"api-token",
	"member",
	"settings",
	"team",
	"incident",
	"subscription",
] as const;
export type AuditTarget = { type: (typeof AUDIT_TARGET_TYPES)[number]; id: string };

/**
 * The audit row for one management action, to go in the same D1 batch as the
 * change itself: the log never shows a change that did not happen, nor misses one that did.
 */
export function audited(
	db: Database,
	actor: Actor,
	action: string,
	target: AuditTarget,
	details?: Record<string, unknown>,
) {
	const at = Date.now();
	return insertAuditEvent(db, {
		id: newId(at),
		at,
		via: actor.via,
		credential: actor.principal.kind === "admin-token" ? actor.principal.credential : null,
		actorKind: actor.principal.kind,
		actorName: principalName(actor.principal),
		ip: actor.ip,
		action,
		targetType: target.type,
		targetId: target.id,
		details: details === undefined ? null : JSON.stringify(details),
	});
}

/** A position in the log: the last event a page showed. */
const cursorKey = z.tuple([z.number().int(), z.string()]);

/**
 * One page of audit events, newest first, after `cursor` (from a previous
 * page) if given, and the cursor of the next page if there is one.
 */
export async function auditPage(
	db: Database,
	f: Omit<AuditFilter, "before" | "limit"> & { cursor?: string; limit: number },
) {
	const before = f.cursor === undefined ? undefined : decodeCursor(f.cursor, cursorKey);
	const rows = await listAuditEvents(db, {
		target: f.target,
		action: f.action,
		before: before && { at: before[0], id: before[1] },
		limit: f.limit + 1,
	});
	const events = rows.slice(0, f.limit);
	const last = events.at(-1);
	return { events, nextCursor: rows.length > f.limit && last ? encodeCursor([last.at, last.id]) : null };
}

/** An event's details as the object it was written from; null when it had none. */
export function parsedDetails(event: AuditEventRow): Record<string, unknown> | null {
	return event.details === null ? null : JSON.parse(event.details);
}
