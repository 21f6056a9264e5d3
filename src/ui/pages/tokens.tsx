import { allow } from "../../access/guard";
import {
	type ApiToken,
	apiTokenForm,
	createApiToken,
	expiresSoon,
	listApiTokens,
	loadManagedApiToken,
	mayManage,
	revokeApiToken,
	TOKEN_PREFIX,
} from "../../access/tokens";
import { audited } from "../../audit/log";
import { type AppContext, factory } from "../../factory";
import { DAY } from "../../http/datetime";
import type { ApiError } from "../../http/errors";
import { MAX_NAME, validate } from "../../http/validation";
import { atLeast, ROLES } from "../../model/roles";
import { ActionButton, CopyField, Empty, FormErrors, Table, Time } from "../components";
import { attempt, doneNotice, readForm } from "../forms";
import { Page } from "../layout";
import { signedIn } from "../security";

const NOTICES = { revoked: "The token was revoked: requests carrying it are refused from now on." };

/** The same audit rows as the API's (api/tokens.ts): the token's id, name and role, never its secret. */
const auditAs = (c: AppContext, action: string) => (token: ApiToken) => [
	audited(c.var.db, c.var.actor, action, { type: "api-token", id: token.id }, { name: token.name, role: token.role }),
];

/** Days since the epoch, in UTC: counting calendar days, a token ending on the 3rd "expires in 3 days" on the 30th. */
const utcDay = (ms: number) => Math.floor(ms / DAY);

/** "expires in 3 days", "tomorrow" or "today", for a token in force that expires within EXPIRY_WARNING_DAYS. */
function ExpiryWarning({ token, now }: { token: ApiToken; now: number }) {
	if (!expiresSoon(token, now) || token.expiresAt === null) return null;
	const days = utcDay(token.expiresAt) - utcDay(now);
	const text = days === 0 ? "expires today" : days === 1 ? "expires tomorrow" : `expires in ${days} days`;
	return (
		<>
			{" "}
			<span class="badge silent">{text}</span>
		</>
	);
}

function TokenRow({ token, now }: { token: ApiToken; now: number }) {
	const expired = token.expiresAt !== null && token.expiresAt <= now;
	return (
		<tr>
			<td>{token.name}</td>
			<td>{token.role}</td>
			<td>
				<span class="mono">…{token.hint}</span>
			</td>
			<td>{token.createdBy}</td>
			<td>
				<Time ms={token.createdAt} />
			</td>
			<td>
				{token.expiresAt === null ? <span class="muted">never</span> : <Time ms={token.expiresAt} relative={false} />}
				<ExpiryWarning token={token} now={now} />
			</td>
			<td>{token.lastUsedAt === null ? <span class="muted">never</span> : <Time ms={token.lastUsedAt} />}</td>
			<td>
				{token.revokedAt !== null ? (
					<>
						<span class="badge">revoked</span> <Time ms={token.revokedAt} />
					</>
				) : expired ? (
					<span class="badge">expired</span>
				) : (
					<ActionButton action={`/tokens/${token.id}/revoke`} label="Revoke" variant="danger" />
				)}
			</td>
		</tr>
	);
}

/** The token just made, with its secret: on this one response and nowhere else. */
function NewSecret({ token, secret }: { token: ApiToken; secret: string }) {
	return (
		<div class="panel" role="status">
			<h2>Token “{token.name}” created</h2>
			<p>
				<strong>Copy it now: it won't be shown again.</strong> Only a hash of it is kept. Send it as{" "}
				<code>Authorization: Bearer {TOKEN_PREFIX}…</code> on <code>/api</code>.
			</p>
			<CopyField id="new-token-secret" label="Secret" value={secret} />
		</div>
	);
}

type Typed = { name: string; role: string; expires_at: string };
type View = { notice?: string; created?: { token: ApiToken; secret: string }; typed?: Typed; error?: ApiError };

async function render(c: AppContext, { notice, created, typed, error }: View) {
	const now = Date.now();
	const viewer = c.var.actor.principal;
	const tokens = (await listApiTokens(c.var.db)).filter((t) => mayManage(viewer, t));
	const roles = ROLES.filter((role) => atLeast(viewer.role, role));
	const page = (
		<Page title="API tokens" section="tokens" notice={notice}>
			<h1>API tokens</h1>
			{created && <NewSecret {...created} />}
			<p class="muted">
				{atLeast(viewer.role, "admin") ? "Every token, newest first." : "The tokens you made, newest first."} A token
				never does more than its maker may now; those expiring within a week are flagged.
			</p>
			{tokens.length === 0 ? (
				<Empty title="No API tokens yet">
					<p>Create one below for a script or a dashboard that reads or reports through the API.</p>
				</Empty>
			) : (
				<Table head={["Name", "Role", "Secret", "Created by", "Created", "Expires", "Last used", "State"]}>
					{tokens.map((token) => (
						<TokenRow token={token} now={now} />
					))}
				</Table>
			)}
			<h2>New API token</h2>
			<FormErrors errors={error?.errors} />
			<form method="post" action="/tokens" class="stack panel">
				<label>
					Name
					<small>What uses it, e.g. "Release dashboard".</small>
					<input name="name" value={typed?.name ?? ""} required maxlength={MAX_NAME} />
				</label>
				<label>
					Role
					<small>No higher than your own ({viewer.role}).</small>
					<select name="role" required>
						{roles.map((role) => (
							<option value={role} selected={role === (typed?.role ?? "viewer")}>
								{role}
							</option>
						))}
					</select>
				</label>
				<label>
					Expires
					<small>Optional: the token works until the end of this day (UTC).</small>
					<input name="expires_at" type="date" value={typed?.expires_at ?? ""} />
				</label>
				<div>
					<button type="submit">Create token</button>
				</div>
			</form>
		</Page>
	);
	return c.html(page, error?.status ?? (created ? 201 : 200));
}

/** API tokens: everyone's for an admin, your own otherwise; the secret is shown once, on the response that made it. */
export const tokensPages = factory
	.createApp()
	.use(...signedIn)
	.get("/", allow("viewer"), (c) => render(c, { notice: doneNotice(c, NOTICES) }))
	.post("/", allow("viewer"), async (c) => {
		const form = await readForm(c);
		const made = await attempt(() => {
			const input = validate(apiTokenForm, form);
			const wanted = { name: input.name, role: input.role, expiresAt: input.expires_at ?? null };
			return createApiToken(c.var.db, wanted, c.var.actor.principal, auditAs(c, "api_token.create"));
		});
		// Rendered here, not redirected to: the secret must not travel in a URL or a cookie.
		if (made.ok) return render(c, { created: made.value });
		const typed = { name: form.name ?? "", role: form.role ?? "", expires_at: form.expires_at ?? "" };
		return render(c, { typed, error: made.error });
	})
	.post("/:id/revoke", allow("viewer"), async (c) => {
		const token = await loadManagedApiToken(c.var.db, c.var.actor.principal, c.req.param("id"));
		await revokeApiToken(c.var.db, token.id, auditAs(c, "api_token.revoke"));
		return c.redirect("/tokens?done=revoked", 303);
	});
