import { asc, eq } from "drizzle-orm";
import type { Role } from "../model/roles";
import type { Database, Statement } from "./client";
import { members } from "./schema";

/** `email` as stored (see `members`): callers normalize it first. */
export function findMember(db: Database, email: string) {
	return db.select().from(members).where(eq(members.email, email)).get();
}

export function listMemberRows(db: Database) {
	return db.select().from(members).orderBy(asc(members.email));
}

/** Adds a member, or changes their role; `created_at` stays when they were first added. */
export function upsertMember(db: Database, email: string, role: Role, now: number): Statement {
	return db
		.insert(members)
		.values({ email, role, createdAt: now, updatedAt: now })
		.onConflictDoUpdate({ target: members.email, set: { role, updatedAt: now } });
}

export function deleteMember(db: Database, email: string): Statement {
	return db.delete(members).where(eq(members.email, email));
}
