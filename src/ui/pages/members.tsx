import { allow } from "../../access/guard";
import { teamSettings } from "../../access/identify";
import {
	listMembers,
	type Member,
	memberInput,
	membershipSettings,
	removeMember,
	setMemberRole,
} from "../../access/members";
import { audited } from "../../audit/log";
import { type AppContext, factory } from "../../factory";
import type { ApiError } from "../../http/errors";
import { MAX_NAME, validate } from "../../http/validation";
import { ROLES, type Role } from "../../model/roles";
import { ActionButton, Empty, FormErrors, Table, Time } from "../components";
import { attempt, doneNotice, readForm } from "../forms";
import { Page } from "../layout";
import { signedIn } from "../security";

const NOTICES = {
	saved: "The member was saved: their next request has the new role.",
	removed: "The member was removed: they fall back to the default role, and so do the API tokens they made.",
};

/** The same audit rows as the API's (api/members.ts), so the log reads alike whichever way a change came. */
const auditAs = (c: AppContext, action: string) => (change: { email: string; role: string }) => [
	audited(c.var.db, c.var.actor, action, { type: "member", id: change.email }, { role: change.role }),
];

const membership = (c: AppContext) => teamSettings(c.env).membership;

/** What someone Access signs in who is not listed gets, in words. */
function DefaultRole({ role }: { role: Role | null }) {
	return (
		<p class="muted">
			People Cloudflare Access signs in who are not listed here get the <code>ACCESS_DEFAULT_ROLE</code>:{" "}
			{role === null ? <strong>no access</strong> : <strong>{role}</strong>}. Admins listed in{" "}
			<code>ACCESS_ADMINS</code> are admins whatever this page says; change that variable to change them.
		</p>
	);
}

function MemberRow({ member }: { member: Member }) {
	const configured = member.source === "configuration";
	return (
		<tr>
			<td>{member.email}</td>
			<td>{member.role}</td>
			<td>{configured ? <span class="badge">ACCESS_ADMINS</span> : "Members page or API"}</td>
			<td>{configured ? <span class="muted">—</span> : <Time ms={member.updatedAt} />}</td>
			<td>
				{configured ? (
					<span class="muted">Cannot be changed here</span>
				) : (
					<ActionButton
						action={`/members/${encodeURIComponent(member.email)}/remove`}
						label="Remove"
						variant="danger"
					/>
				)}
			</td>
		</tr>
	);
}

type Typed = { email: string; role: string };

async function render(c: AppContext, { notice, typed, error }: { notice?: string; typed?: Typed; error?: ApiError }) {
	const settings = teamSettings(c.env);
	const members = await listMembers(c.var.db, settings.membership);
	const page = (
		<Page title="Members" section="members" notice={notice}>
			<h1>Members</h1>
			{settings.access === undefined && (
				<div class="panel" role="note">
					<p>
						<strong>Cloudflare Access is not configured</strong> (<code>ACCESS_TEAM_DOMAIN</code> and{" "}
						<code>ACCESS_AUD</code>), so nobody signs in as a member yet: members and their roles only matter behind
						Access. Until then people sign in to the pages with the admin token or an API token.
					</p>
				</div>
			)}
			<DefaultRole role={membershipSettings(settings.membership).defaultRole} />
			{members.length === 0 ? (
				<Empty title="No members yet">
					<p>Add someone below by the email Cloudflare Access knows them by.</p>
				</Empty>
			) : (
				<Table head={["Email", "Role", "From", "Updated", "Actions"]}>
					{members.map((member) => (
						<MemberRow member={member} />
					))}
				</Table>
			)}
			<h2>Add a member or change a role</h2>
			<FormErrors errors={error?.errors} />
			<form method="post" action="/members" class="stack panel">
				<label>
					Email
					<small>As Cloudflare Access signs them in; an existing member gets the role chosen here.</small>
					<input name="email" type="email" value={typed?.email ?? ""} required maxlength={MAX_NAME} />
				</label>
				<label>
					Role
					<select name="role" required>
						{ROLES.map((role) => (
							<option value={role} selected={role === (typed?.role ?? "viewer")}>
								{role}
							</option>
						))}
					</select>
				</label>
				<div>
					<button type="submit">Save member</button>
				</div>
			</form>
		</Page>
	);
	return c.html(page, error?.status ?? 200);
}

/** Who may use the tracker behind Cloudflare Access, and as what: for admins. */
export const membersPages = factory
	.createApp()
	.use(...signedIn)
	.get("/", allow("admin"), (c) => render(c, { notice: doneNotice(c, NOTICES) }))
	.post("/", allow("admin"), async (c) => {
		const form = await readForm(c);
		const saved = await attempt(() => {
			const input = validate(memberInput, form);
			return setMemberRole(c.var.db, membership(c), input.email, input.role, auditAs(c, "member.set"));
		});
		if (saved.ok) return c.redirect("/members?done=saved", 303);
		return render(c, { typed: { email: form.email ?? "", role: form.role ?? "" }, error: saved.error });
	})
	.post("/:email/remove", allow("admin"), async (c) => {
		await removeMember(c.var.db, membership(c), c.req.param("email"), auditAs(c, "member.remove"));
		return c.redirect("/members?done=removed", 303);
	});
