import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { type MembershipConfig, removeMember, setMemberRole } from "../../src/access/members";
import { type Principal, principalName } from "../../src/access/principal";
import {
	type ApiToken,
	createApiToken,
	EXPIRY_WARNING_DAYS,
	expiresSoon,
	listApiTokens,
	principalForSecret,
	revokeApiToken,
	TOKEN_PREFIX,
	touchApiToken,
} from "../../src/access/tokens";
import { tokenBySecretHash } from "../../src/db/api-tokens";
import { insertAuditEvent } from "../../src/db/audit";
import { database } from "../../src/db/client";
import { newId } from "../../src/db/ids";
import type { Role } from "../../src/model/roles";

const db = database(env.DB);
const noAudit = () => [];
const NOW = Date.UTC(2026, 10, 30, 9);
const DAY = 86_400_000;
const open: MembershipConfig = { admins: "", defaultRole: "viewer" };
const closed: MembershipConfig = { admins: "", defaultRole: "none" };
const ADMIN_TOKEN: Principal = { kind: "admin-token", credential: "current", role: "admin" };

const member = (role: Role, email = `${crypto.randomUUID()}@example.com`): Principal => ({
	kind: "member",
	email,
	role,
});

function create(creator: Principal, role: Role, expiresAt: number | null = null, name = crypto.randomUUID()) {
	return createApiToken(db, { name, role, expiresAt }, creator, noAudit, NOW);
}

/** Who the secret is at `now`, as [kind, name, role], or null when it opens nothing. */
async function who(secret: string, now = NOW, config = closed) {
	const found = await principalForSecret(db, config, secret, now);
	return found ? [found.principal.kind, principalName(found.principal), found.principal.role] : null;
}

/** The ApiError `run` throws, as status and error objects. */
async function refusal(run: () => Promise<unknown>) {
	const error = await run().then(
		() => undefined,
		(e) => e,
	);
	return { status: error?.status, errors: error?.errors };
}

async function sha256Hex(text: string) {
	const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
	return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

describe("creating a token", () => {
	it("answers a prefixed secret once and stores only its hash and last four characters", async () => {
		const audited: unknown[] = [];
		const { token, secret } = await createApiToken(
			db,
			{ name: "dashboard bot", role: "editor", expiresAt: NOW + DAY },
			ADMIN_TOKEN,
			(change) => {
				audited.push(change);
				return [];
			},
			NOW,
		);

		expect(secret).toMatch(/^dtk_[A-Za-z0-9_-]{43}$/);
		expect(secret.startsWith(TOKEN_PREFIX)).toBe(true);
		const row = await env.DB.prepare("SELECT * FROM api_tokens WHERE id = ?").bind(token.id).first();
		expect(row).toEqual({
			id: token.id,
			name: "dashboard bot",
			role: "editor",
			secret_hash: await sha256Hex(secret),
			hint: secret.slice(-4),
			created_by_kind: "admin-token",
			created_by: "admin token",
			created_at: NOW,
			expires_at: NOW + DAY,
			last_used_at: null,
			revoked_at: null,
		});
		// Neither the row nor what the audit log is given holds the secret, or any more of it than the hint.
		expect(JSON.stringify([row, audited])).not.toContain(secret.slice(TOKEN_PREFIX.length, -4));
		expect(audited).toEqual([token]);
		expect(await who(secret)).toEqual(["api-token", "dashboard bot", "editor"]);
	});

	it("refuses a role above the creator's, and an API token as creator, storing nothing", async () => {
		const viewer = member("viewer");
		const name = crypto.randomUUID();
		const roleError = (detail: string) => ({ status: 403, errors: [{ status: 403, title: "Role Error", detail }] });
		expect(await refusal(() => create(viewer, "editor", null, name))).toEqual(
			roleError("a token's role cannot be above your own (viewer): editor"),
		);
		const token: Principal = { kind: "api-token", id: "t", name: "bot", role: "admin" };
		expect(await refusal(() => create(token, "viewer", null, name))).toEqual(
			roleError("an API token cannot create API tokens; sign in or use the admin token"),
		);
		expect((await listApiTokens(db)).filter((t) => t.name === name)).toEqual([]);
	});

	it("refuses an expiry that is not in the future (400)", async () => {
		const name = crypto.randomUUID();
		for (const expiresAt of [NOW - 1, NOW]) {
			expect(await refusal(() => create(ADMIN_TOKEN, "viewer", expiresAt, name))).toEqual({
				status: 400,
				errors: [{ status: 400, title: "Expires at Error", detail: "param must be in the future: expires_at" }],
			});
		}
		expect((await listApiTokens(db)).filter((t) => t.name === name)).toEqual([]);
	});
});

describe("using a token", () => {
	it("opens nothing for secrets it did not issue, nor a tampered one", async () => {
		const { secret } = await create(ADMIN_TOKEN, "admin");
		const flipped = secret.slice(0, -1) + (secret.endsWith("A") ? "B" : "A");
		const forged = [flipped, secret.slice(TOKEN_PREFIX.length), `${secret} `, secret.toUpperCase(), "", "dtk_"];
		expect(await Promise.all(forged.map((s) => who(s)))).toEqual(forged.map(() => null));
	});

	it("is found by one indexed read, with its creator's member role", async () => {
		const query = tokenBySecretHash(db, "0".repeat(64)).toSQL();
		const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${query.sql}`)
			.bind(...query.params)
			.all<{ detail: string }>();
		expect(plan.results.map((r) => r.detail)).toEqual([
			"SEARCH api_tokens USING INDEX api_tokens_secret_hash_unique (secret_hash=?)",
			"SEARCH members USING INDEX sqlite_autoindex_members_1 (email=?) LEFT-JOIN",
		]);
	});

	it("stops at its expiry, to the millisecond", async () => {
		const { secret } = await create(ADMIN_TOKEN, "viewer", NOW + DAY);
		expect([await who(secret, NOW + DAY - 1), await who(secret, NOW + DAY)]).toEqual([
			["api-token", expect.any(String), "viewer"],
			null,
		]);
	});

	it("stops at once when revoked; revoking it again, or a token that does not exist, is a 404", async () => {
		const { token, secret } = await create(ADMIN_TOKEN, "admin");
		const revoked = await revokeApiToken(db, token.id, noAudit, NOW + 5);

		expect(revoked).toEqual({ ...token, revokedAt: NOW + 5 });
		expect(await who(secret, NOW + 6)).toBeNull();
		for (const id of [token.id, "0190f0c0-0000-7000-8000-000000000000"]) {
			expect(await refusal(() => revokeApiToken(db, id, noAudit, NOW + 7))).toEqual({
				status: 404,
				errors: [{ status: 404, title: "Token Error", detail: `no active API token with id '${id}'` }],
			});
		}
		expect((await listApiTokens(db)).find((t) => t.id === token.id)?.revokedAt).toBe(NOW + 5);
	});

	it("never does more than its member creator may do now, and stops when they have no access", async () => {
		const email = `${crypto.randomUUID()}@example.com`;
		await setMemberRole(db, open, email, "editor", noAudit);
		const { secret } = await create(member("editor", email), "editor");
		const roles: unknown[] = [(await who(secret))?.[2]];

		await setMemberRole(db, open, email, "viewer", noAudit);
		roles.push((await who(secret))?.[2]);
		await setMemberRole(db, open, email, "admin", noAudit);
		roles.push((await who(secret))?.[2]);
		await removeMember(db, open, email, noAudit);
		roles.push((await who(secret, NOW, open))?.[2], await who(secret, NOW, closed));
		// A bootstrap admin has no row, and their tokens work as created.
		roles.push((await who(secret, NOW, { admins: email.toUpperCase(), defaultRole: "none" }))?.[2]);

		expect(roles).toEqual(["editor", "viewer", "editor", "viewer", null, "editor"]);
	});

	it("asks for its use to be recorded at most once a minute, and records it at most once", async () => {
		const { token, secret } = await create(ADMIN_TOKEN, "viewer");
		const lastUsed = async () => (await listApiTokens(db)).find((t) => t.id === token.id)?.lastUsedAt;
		const steps: unknown[] = [];
		for (const now of [NOW, NOW + 59_999, NOW + 60_000, NOW + 60_001]) {
			const found = await principalForSecret(db, closed, secret, now);
			await touchApiToken(db, token.id, now);
			steps.push([now - NOW, found?.touch, Number(await lastUsed()) - NOW]);
		}
		expect(steps).toEqual([
			[0, true, 0],
			[59_999, false, 0],
			[60_000, false, 0],
			[60_001, true, 60_001],
		]);
	});
});

describe("auditing", () => {
	it("writes a creation or revocation with its audit row in one batch: neither without the other", async () => {
		const taken = newId();
		const auditRow = (change: ApiToken) => [
			insertAuditEvent(db, { id: taken, at: 0, via: "api", action: "t", targetType: "api-token", targetId: change.id }),
		];
		const { token, secret } = await createApiToken(
			db,
			{ name: "audited", role: "viewer", expiresAt: null },
			ADMIN_TOKEN,
			auditRow,
			NOW,
		);
		// The same audit id again: the audit insert fails, so the change must not happen either.
		const name = crypto.randomUUID();
		const input = { name, role: "viewer" as const, expiresAt: null };
		await expect(createApiToken(db, input, ADMIN_TOKEN, auditRow, NOW)).rejects.toThrow();
		await expect(revokeApiToken(db, token.id, auditRow, NOW)).rejects.toThrow();

		expect((await listApiTokens(db)).filter((t) => t.name === name)).toEqual([]);
		expect(await who(secret)).toEqual(["api-token", "audited", "viewer"]);
	});
});

describe("listing tokens", () => {
	it("lists newest first, without the hash", async () => {
		const older = await create(ADMIN_TOKEN, "viewer");
		const newer = await createApiToken(
			db,
			{ name: "newer", role: "viewer", expiresAt: null },
			ADMIN_TOKEN,
			noAudit,
			NOW + 1,
		);
		const listed = await listApiTokens(db);
		const ids = listed.map((t) => t.id);
		expect(ids.indexOf(newer.token.id)).toBeLessThan(ids.indexOf(older.token.id));
		expect(Object.keys(listed[0] as ApiToken).sort()).toEqual(Object.keys(newer.token).sort());
		expect(Object.keys(newer.token)).not.toContain("secretHash");
	});

	it(`flags tokens in force that expire within ${EXPIRY_WARNING_DAYS} days`, () => {
		const cases = [null, NOW - 1, NOW, NOW + 1, NOW + 7 * DAY, NOW + 7 * DAY + 1];
		expect(cases.map((expiresAt) => expiresSoon({ expiresAt, revokedAt: null }, NOW))).toEqual([
			false,
			false,
			false,
			true,
			true,
			false,
		]);
		expect(expiresSoon({ expiresAt: NOW + 1, revokedAt: NOW - 1 }, NOW)).toBe(false);
	});
});
