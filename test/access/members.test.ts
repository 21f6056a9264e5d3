import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import {
	listMembers,
	type MembershipConfig,
	memberInput,
	removeMember,
	roleFor,
	setMemberRole,
} from "../../src/access/members";
import { insertAuditEvent } from "../../src/db/audit";
import { database } from "../../src/db/client";
import { newId } from "../../src/db/ids";
import { validate } from "../../src/http/validation";

const db = database(env.DB);
const noAudit = () => [];

/** A mail domain no other test uses: storage is shared within a file. */
const domain = () => `${crypto.randomUUID()}.example`;
const config = (admins = "", defaultRole?: string): MembershipConfig => ({ admins, defaultRole });

/** What the API or UI would answer when `run` throws an ApiError. */
async function refusal(run: () => Promise<unknown>) {
	const error = await run().then(
		() => undefined,
		(e) => e,
	);
	return { status: error?.status, errors: error?.errors };
}

describe("roleFor", () => {
	it("makes ACCESS_ADMINS admins however their emails are spelled, whatever the members table says", async () => {
		const d = domain();
		const admins = ` Ada@${d.toUpperCase()}, bob@${d}\n\tcarol@${d} `;
		await setMemberRole(db, config(), `bob@${d}`, "viewer", noAudit);
		const roles = await Promise.all(
			[`ada@${d}`, `BOB@${d}`, ` carol@${d}`, `dave@${d}`].map((email) => roleFor(db, config(admins, "none"), email)),
		);
		expect(roles).toEqual(["admin", "admin", "admin", null]);
	});

	it("gives anyone else Access signed in the default role: viewer unless ACCESS_DEFAULT_ROLE says otherwise", async () => {
		const stranger = `someone@${domain()}`;
		const roles = await Promise.all(
			[undefined, "", "viewer", "Editor", "none", " NONE "].map((d) => roleFor(db, config("", d), stranger)),
		);
		expect(roles).toEqual(["viewer", "viewer", "viewer", "editor", null, null]);
	});

	it("fails closed on an ACCESS_DEFAULT_ROLE it does not know, and says so once", async () => {
		const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
		const member = `member@${domain()}`;
		await setMemberRole(db, config(), member, "editor", noAudit);
		const bad = config("", "superuser");
		const roles = [
			await roleFor(db, bad, `stranger@${domain()}`),
			await roleFor(db, bad, `other@${domain()}`),
			await roleFor(db, bad, member),
		];
		expect(roles).toEqual([null, null, "editor"]);
		expect(warn.mock.calls).toEqual([[expect.stringContaining("ACCESS_DEFAULT_ROLE 'superuser' is not one of")]]);
		warn.mockRestore();
	});
});

describe("members", () => {
	it("adds a member once however the email is spelled, and changes their role keeping when they were added", async () => {
		const d = domain();
		const changes: unknown[] = [];
		const audit = (change: unknown) => {
			changes.push(change);
			return [];
		};
		const added = await setMemberRole(db, config(), ` Erin@${d.toUpperCase()} `, "editor", audit, 1000);
		const changed = await setMemberRole(db, config(), `erin@${d}`, "viewer", audit, 2000);

		expect({ added, changed }).toEqual({
			added: { email: `erin@${d}`, role: "editor", createdAt: 1000, updatedAt: 1000 },
			changed: { email: `erin@${d}`, role: "viewer", createdAt: 1000, updatedAt: 2000 },
		});
		expect(changes).toEqual([
			{ email: `erin@${d}`, role: "editor", previous: null },
			{ email: `erin@${d}`, role: "viewer", previous: "editor" },
		]);
		expect(await listMembers(db, config())).toContainEqual({ ...changed, source: "members" });
		expect(await roleFor(db, config("", "none"), `ERIN@${d}`)).toBe("viewer");
	});

	it("removes a member, who then gets the default role; removing them again is a 404", async () => {
		const frank = `frank@${domain()}`;
		await setMemberRole(db, config(), frank, "admin", noAudit);
		await removeMember(db, config(), frank.toUpperCase(), noAudit);

		expect(await roleFor(db, config("", "none"), frank)).toBeNull();
		expect(await roleFor(db, config("", "viewer"), frank)).toBe("viewer");
		expect(await refusal(() => removeMember(db, config(), frank, noAudit))).toEqual({
			status: 404,
			errors: [{ status: 404, title: "Member Error", detail: `no member with email '${frank}'` }],
		});
	});

	it("lists bootstrap admins as configuration, once, and refuses to change or remove them (409)", async () => {
		const d = domain();
		await setMemberRole(db, config(), `gina@${d}`, "viewer", noAudit);
		await setMemberRole(db, config(), `hal@${d}`, "editor", noAudit);
		const bootstrap = config(`hal@${d} ivy@${d}`);

		const listed = (await listMembers(db, bootstrap)).filter((m) => m.email.endsWith(d));
		expect(listed.map((m) => [m.email, m.role, m.source])).toEqual([
			[`gina@${d}`, "viewer", "members"],
			[`hal@${d}`, "admin", "configuration"],
			[`ivy@${d}`, "admin", "configuration"],
		]);
		const detail = `ivy@${d} is an admin through the ACCESS_ADMINS variable; change that variable to change their access`;
		expect(await refusal(() => setMemberRole(db, bootstrap, `IVY@${d}`, "viewer", noAudit))).toEqual({
			status: 409,
			errors: [{ status: 409, title: "Member Error", detail }],
		});
		expect((await refusal(() => removeMember(db, bootstrap, `hal@${d}`, noAudit))).status).toBe(409);
		expect(await roleFor(db, config(), `hal@${d}`)).toBe("editor");
	});

	it("writes the change and its audit row in one batch: neither without the other", async () => {
		const jo = `jo@${domain()}`;
		const taken = newId();
		const auditRow = (id: string) => () => [
			insertAuditEvent(db, { id, at: 0, via: "ui", action: "member.set", targetType: "member", targetId: jo }),
		];
		await setMemberRole(db, config(), jo, "viewer", auditRow(taken));
		// The same audit id again: the audit insert fails, so the role change must not happen either.
		await expect(setMemberRole(db, config(), jo, "admin", auditRow(taken))).rejects.toThrow();
		expect(await roleFor(db, config("", "none"), jo)).toBe("viewer");
	});

	it("takes a valid email and role as input, normalizing the email", () => {
		expect(validate(memberInput, { email: " Kim@Example.COM ", role: "editor" })).toEqual({
			email: "kim@example.com",
			role: "editor",
		});
		const error = (() => {
			try {
				validate(memberInput, { email: "not an email", role: "owner" });
			} catch (e) {
				return (e as { errors: unknown }).errors;
			}
		})();
		expect(error).toEqual([
			{ status: 400, title: "Email Error", detail: "param must be an email address: email" },
			{ status: 400, title: "Role Error", detail: "param must be one of: viewer, editor, admin: role" },
		]);
	});
});
