import { z } from "zod";
import type { Database, Statement } from "../db/client";
import { deleteMember, findMember, listMemberRows, upsertMember } from "../db/members";
import type { MemberRow } from "../db/schema";
import { ApiError } from "../http/errors";
import { MAX_NAME, object, oneOf, requiredText } from "../http/validation";
import { ROLES, type Role } from "../model/roles";

// Who may sign in, and as what: the members table, plus the bootstrap admins
// and the default role, which come from Worker variables. Each mutating
// function takes `audit`, which answers the statements (the audit row) to
// write in the same D1 batch as the change, so neither exists without the other.

/**
 * The Worker variables, as given: `admins` is ACCESS_ADMINS (emails separated
 * by commas or white space), `defaultRole` is ACCESS_DEFAULT_ROLE (a role, or
 * `none`; unset means viewer).
 */
export type MembershipConfig = { admins: string; defaultRole: string | undefined };

/** What MembershipConfig means: who is always admin, and what anyone else Access signed in gets (null: nothing). */
export type MembershipSettings = { admins: ReadonlySet<string>; defaultRole: Role | null };

/** Statements to add to a change's batch, given what changed: its audit row. */
export type AuditStatements<T> = (change: T) => Statement[];

/** One email however it was typed: Access and the admin who added someone may spell it differently. */
export const normalizeEmail = (email: string) => email.trim().toLowerCase();

const NO_ACCESS = "none";

// Deliberate module state: each invalid ACCESS_DEFAULT_ROLE is reported once per isolate, not on every request.
const warned = new Set<string>();

/** Parses the variables; an ACCESS_DEFAULT_ROLE that is not a role nor `none` grants nothing (fail closed). */
export function membershipSettings(config: MembershipConfig): MembershipSettings {
	const admins = new Set(
		config.admins
			.split(/[\s,]+/)
			.map(normalizeEmail)
			.filter(Boolean),
	);
	const wanted = normalizeEmail(config.defaultRole ?? "") || "viewer";
	if (wanted === NO_ACCESS) return { admins, defaultRole: null };
	if ((ROLES as readonly string[]).includes(wanted)) return { admins, defaultRole: wanted as Role };
	if (!warned.has(wanted)) {
		warned.add(wanted);
		console.warn(
			`ACCESS_DEFAULT_ROLE '${config.defaultRole}' is not one of ${[...ROLES, NO_ACCESS].join(", ")}: people who are not members get no access`,
		);
	}
	return { admins, defaultRole: null };
}

/**
 * The role someone has now, given their stored member role (if any):
 * bootstrap admins are admins whatever is stored; members have their
 * role; anyone else the default, or null for no access.
 */
export function currentRole(settings: MembershipSettings, email: string, stored: Role | null): Role | null {
	if (settings.admins.has(normalizeEmail(email))) return "admin";
	return stored ?? settings.defaultRole;
}

/** The role of the person Access signed in as `email`, or null when they may not use the tracker. */
export async function roleFor(db: Database, config: MembershipConfig, email: string): Promise<Role | null> {
	const settings = membershipSettings(config);
	const key = normalizeEmail(email);
	// Bootstrap admins need no read: they can sign in even before the members table has rows (or works).
	if (settings.admins.has(key)) return "admin";
	const member = await findMember(db, key);
	return currentRole(settings, key, member?.role ?? null);
}

/** A member as the Members page shows them; `configuration` ones come from ACCESS_ADMINS and have no row. */
export type Member = { email: string; role: "admin"; source: "configuration" } | (MemberRow & { source: "members" });

/** An email as members are keyed: validated, trimmed and lower-cased (teams list their members alike). */
export const email = requiredText({ max: MAX_NAME })
	.pipe(z.email({ error: "param must be an email address" }))
	.transform(normalizeEmail);
export const role = oneOf(ROLES);

/** Adding a member or changing their role: the API's body and the UI's form alike. */
export const memberInput = object({ email, role });

/** Everyone with a role, by email: the bootstrap admins (once, even if they also have a row), then the rest. */
export async function listMembers(db: Database, config: MembershipConfig): Promise<Member[]> {
	const { admins } = membershipSettings(config);
	const rows = await listMemberRows(db);
	const configured = [...admins].map((email): Member => ({ email, role: "admin", source: "configuration" }));
	const stored = rows.filter((m) => !admins.has(m.email)).map((m): Member => ({ ...m, source: "members" }));
	return [...configured, ...stored].sort((a, b) => a.email.localeCompare(b.email));
}

function refuseConfigured(settings: MembershipSettings, email: string) {
	if (settings.admins.has(email)) {
		throw ApiError.of(
			409,
			"Member Error",
			`${email} is an admin through the ACCESS_ADMINS variable; change that variable to change their access`,
		);
	}
}

/** Adds a member with `role`, or gives an existing member `role`. */
export async function setMemberRole(
	db: Database,
	config: MembershipConfig,
	email: string,
	role: Role,
	audit: AuditStatements<{ email: string; role: Role; previous: Role | null }>,
	now = Date.now(),
): Promise<MemberRow> {
	const key = normalizeEmail(email);
	refuseConfigured(membershipSettings(config), key);
	const previous = await findMember(db, key);
	await db.batch([upsertMember(db, key, role, now), ...audit({ email: key, role, previous: previous?.role ?? null })]);
	return { email: key, role, createdAt: previous?.createdAt ?? now, updatedAt: now };
}

/** Removes a member: they fall back to the default role, and so do the API tokens they made (see tokens.ts). */
export async function removeMember(
	db: Database,
	config: MembershipConfig,
	email: string,
	audit: AuditStatements<MemberRow>,
): Promise<MemberRow> {
	const key = normalizeEmail(email);
	refuseConfigured(membershipSettings(config), key);
	const member = await findMember(db, key);
	if (!member) throw ApiError.of(404, "Member Error", `no member with email '${key}'`);
	await db.batch([deleteMember(db, key), ...audit(member)]);
	return member;
}
