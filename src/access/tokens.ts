import { z } from "zod";
import {
	findApiToken,
	insertApiToken,
	listApiTokenRows,
	revokeStatement,
	tokenBySecretHash,
	tokenWithHashById,
	touchStatement,
} from "../db/api-tokens";
import type { Database } from "../db/client";
import { newId } from "../db/ids";
import type { ApiTokenRow } from "../db/schema";
import { DAY } from "../http/datetime";
import { ApiError } from "../http/errors";
import { MAX_NAME, object, optional, requiredDatetime, requiredText } from "../http/validation";
import { sha256Hex } from "../model/hex";
import { atLeast, type Role } from "../model/roles";
import { type AuditStatements, currentRole, type MembershipConfig, membershipSettings, role } from "./members";
import { type Principal, principalName } from "./principal";

// Scoped API tokens: `Authorization: Bearer dtk_…` on /api. Only a hash of
// the secret is stored; the secret exists once, in what createApiToken answers.

/** Every secret starts with this, so secret scanners (GitHub's, gitleaks) can recognise a leaked one. */
export const TOKEN_PREFIX = "dtk_";
const SECRET_BYTES = 32;
/** The prefix, then the bytes in unpadded base64url. */
const SECRET_PATTERN = new RegExp(`^${TOKEN_PREFIX}[A-Za-z0-9_-]{${Math.ceil((SECRET_BYTES * 4) / 3)}}$`);
/** How many of the secret's last characters are kept, to tell tokens apart. */
const HINT_LENGTH = 4;

/** A use is recorded at most this often: each request would otherwise be a D1 write. */
export const TOUCH_INTERVAL_MS = 60_000;
/** Uses recorded before this are old enough to record again. */
const touchedBefore = (now: number) => now - TOUCH_INTERVAL_MS;
/** Tokens expiring within this many days are flagged in the UI. */
export const EXPIRY_WARNING_DAYS = 7;

/** A token as it is shown: everything but the secret's hash. */
export type ApiToken = Omit<ApiTokenRow, "secretHash">;

/** A new token: the API's body. */
export const apiTokenInput = object({
	name: requiredText({ max: MAX_NAME }),
	role,
	expires_at: optional(requiredDatetime({ fourDigitYear: true })),
});

/**
 * A new token from the Tokens page: the expiry is a day (`<input type="date">`),
 * and the token works through its end, in UTC.
 */
export const apiTokenForm = object({
	name: requiredText({ max: MAX_NAME }),
	role,
	expires_at: optional(
		z.iso
			.date({ error: "param must be a date (YYYY-MM-DD)" })
			.transform((day) => Date.parse(`${day}T00:00:00Z`) + DAY - 1),
	),
});

/** Admins see and revoke every token; anyone else only those they made. */
export const mayManage = (who: Principal, token: Pick<ApiToken, "createdByKind" | "createdBy">) =>
	atLeast(who.role, "admin") || (token.createdByKind === who.kind && token.createdBy === principalName(who));

function newSecret(): string {
	const bytes = crypto.getRandomValues(new Uint8Array(SECRET_BYTES));
	const base64 = btoa(String.fromCharCode(...bytes));
	return TOKEN_PREFIX + base64.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * Creates a token for `creator`, whose role bounds the token's; `audit`
 * answers the statements to write with it. The secret is in the answer and nowhere else.
 */
export async function createApiToken(
	db: Database,
	input: { name: string; role: Role; expiresAt: number | null },
	creator: Principal,
	audit: AuditStatements<ApiToken>,
	now = Date.now(),
): Promise<{ token: ApiToken; secret: string }> {
	// A token made by a token would outlive its maker's revocation: a leaked token could renew itself.
	if (creator.kind === "api-token") {
		throw ApiError.of(403, "Role Error", "an API token cannot create API tokens; sign in or use the admin token");
	}
	if (!atLeast(creator.role, input.role)) {
		throw ApiError.of(403, "Role Error", `a token's role cannot be above your own (${creator.role}): ${input.role}`);
	}
	if (input.expiresAt !== null && input.expiresAt <= now) {
		throw ApiError.of(400, "Expires at Error", "param must be in the future: expires_at");
	}
	const secret = newSecret();
	const token: ApiToken = {
		id: newId(now),
		name: input.name,
		role: input.role,
		hint: secret.slice(-HINT_LENGTH),
		createdByKind: creator.kind,
		createdBy: principalName(creator),
		createdAt: now,
		expiresAt: input.expiresAt,
		lastUsedAt: null,
		revokedAt: null,
	};
	await db.batch([insertApiToken(db, { ...token, secretHash: await sha256Hex(secret) }), ...audit(token)]);
	return { token, secret };
}

/**
 * Who `secret` proves its bearer is, or undefined for an unknown, revoked or
 * expired token: one read, by the hash's unique index, so a revocation counts
 * at once in every isolate. A member's token never does more than they may
 * now: its role is capped by theirs, and it stops when they have no access.
 * `touch` says the caller should record this use (touchApiToken).
 */
export async function principalForSecret(
	db: Database,
	config: MembershipConfig,
	secret: string,
	now: number,
): Promise<{ principal: Principal; touch: boolean; secretHash: string } | undefined> {
	// Not one of ours: no need to ask D1. A lookup by hash leaks no timing about the secret itself.
	if (!SECRET_PATTERN.test(secret)) return undefined;
	const [row] = await tokenBySecretHash(db, await sha256Hex(secret));
	const principal = row && inForce(row, config, now);
	if (!row || !principal) return undefined;
	return {
		principal,
		touch: row.lastUsedAt === null || row.lastUsedAt < touchedBefore(now),
		secretHash: row.secretHash,
	};
}

/**
 * The token `id` with its secret's hash, if it is in force, for a page
 * session made with it (ui/session.ts): looked up on every page, so a
 * revocation or expiry ends the session at once too.
 */
export async function tokenInForce(db: Database, config: MembershipConfig, id: string, now: number) {
	const [row] = await tokenWithHashById(db, id);
	const principal = row && inForce(row, config, now);
	return principal && { principal, secretHash: row.secretHash };
}

type TokenWithMaker = Awaited<ReturnType<typeof tokenBySecretHash>>[number];

/** The principal a token stands for now, or undefined when it is revoked, expired, or its maker has no access. */
function inForce(row: TokenWithMaker, config: MembershipConfig, now: number): Principal | undefined {
	if (row.revokedAt !== null || (row.expiresAt !== null && row.expiresAt <= now)) return undefined;
	const cap =
		row.createdByKind === "member" ? currentRole(membershipSettings(config), row.createdBy, row.memberRole) : row.role;
	if (cap === null) return undefined;
	return { kind: "api-token", id: row.id, name: row.name, role: atLeast(cap, row.role) ? row.role : cap };
}

/** Records a use at `now`, unless another request recorded one less than TOUCH_INTERVAL_MS ago. */
export async function touchApiToken(db: Database, id: string, now: number): Promise<void> {
	await touchStatement(db, id, now, touchedBefore(now));
}

/** A token in force (not revoked), or its 404. */
export async function loadApiToken(db: Database, id: string): Promise<ApiToken> {
	const token = await findApiToken(db, id);
	if (!token || token.revokedAt !== null) throw ApiError.of(404, "Token Error", `no active API token with id '${id}'`);
	return token;
}

/** A token in force that `who` may manage (see mayManage): its 404, or a 403 for someone else's. */
export async function loadManagedApiToken(db: Database, who: Principal, id: string): Promise<ApiToken> {
	const token = await loadApiToken(db, id);
	if (!mayManage(who, token))
		throw ApiError.of(403, "Role Error", "only an admin may revoke a token someone else made");
	return token;
}

/** Revokes a token at once; 404 for none, or one already revoked. */
export async function revokeApiToken(
	db: Database,
	id: string,
	audit: AuditStatements<ApiToken>,
	now = Date.now(),
): Promise<ApiToken> {
	const token = await loadApiToken(db, id);
	await db.batch([revokeStatement(db, id, now), ...audit(token)]);
	return { ...token, revokedAt: now };
}

/** Every token, newest first, revoked and expired ones included. */
export function listApiTokens(db: Database): Promise<ApiToken[]> {
	return listApiTokenRows(db);
}

/** Whether the UI should warn that a token in force expires within EXPIRY_WARNING_DAYS. */
export function expiresSoon(token: Pick<ApiToken, "expiresAt" | "revokedAt">, now: number): boolean {
	if (token.expiresAt === null || token.revokedAt !== null) return false;
	return token.expiresAt > now && token.expiresAt - now <= EXPIRY_WARNING_DAYS * DAY;
}
