import { adminTokens, credentialFor } from "../../access/admin-token";
import { allow } from "../../access/guard";
import { teamSettings } from "../../access/identify";
import { principalForSecret, TOKEN_PREFIX } from "../../access/tokens";
import { factory } from "../../factory";
import { FormErrors } from "../components";
import { readForm, safeNext } from "../forms";
import { Page } from "../layout";
import { sameOriginForms, signedIn, uiHeaders } from "../security";
import { endSession, startSession, startTokenSession } from "../session";

/** Whether the page is served by `wrangler dev` on this machine, where the token is the documented local one. */
const isLocal = (url: string) => ["localhost", "127.0.0.1", "[::1]"].includes(new URL(url).hostname);

function SignIn({ next, problem, local }: { next: string; problem?: string; local: boolean }) {
	return (
		<Page title="Sign in" signedIn={false}>
			<h1>Sign in</h1>
			<FormErrors errors={problem ? [{ status: 401, title: "Sign-in Error", detail: problem }] : []} />
			<form method="post" action="/login" class="stack panel">
				<input type="hidden" name="next" value={next} />
				<label>
					Admin token or API token
					<small>
						The ADMIN_TOKEN secret this deployment was given, or an API token (<code>dtk_…</code>), which signs you in
						with its role
						{local && (
							<>
								{" "}
								(with <code>npm run dev</code>: <code>dev-admin-token</code>)
							</>
						)}
						.
					</small>
					<input type="password" name="token" autocomplete="current-password" required autofocus />
				</label>
				<div>
					<button type="submit">Sign in</button>
				</div>
			</form>
		</Page>
	);
}

/** Sign-in when Cloudflare Access signs people in: nothing to type here. */
function ThroughAccess() {
	return (
		<Page title="Sign in" signedIn={false}>
			<h1>Sign in</h1>
			<p class="panel">
				This tracker signs people in through Cloudflare Access, as themselves. Open it at its Access-protected address
				and sign in there; the admin token works only on the API.
			</p>
		</Page>
	);
}

/** Signing in and out, and the start page. */
export const accountPages = factory
	.createApp()
	.get("/", ...signedIn, allow("viewer"), (c) => c.redirect("/services", 303))
	.get("/login", allow("anyone"), uiHeaders, (c) =>
		teamSettings(c.env).adminTokenSignsIn
			? c.html(<SignIn next={safeNext(c.req.query("next"), c.req.url)} local={isLocal(c.req.url)} />)
			: c.html(<ThroughAccess />),
	)
	.post("/login", allow("anyone"), uiHeaders, sameOriginForms, async (c) => {
		if (!teamSettings(c.env).adminTokenSignsIn) return c.html(<ThroughAccess />, 403);
		const form = await readForm(c);
		const next = safeNext(form.next, c.req.url);
		if (adminTokens(c.env).length === 0) {
			const problem = "ADMIN_TOKEN is not set, so nobody can sign in: run `wrangler secret put ADMIN_TOKEN`";
			return c.html(<SignIn next={next} problem={problem} local={isLocal(c.req.url)} />, 503);
		}
		const token = form.token ?? "";
		if (token.startsWith(TOKEN_PREFIX)) {
			const found = await principalForSecret(c.var.primary, teamSettings(c.env).membership, token, Date.now());
			if (found?.principal.kind !== "api-token") {
				const problem = "that API token is unknown, revoked or expired";
				return c.html(<SignIn next={next} problem={problem} local={isLocal(c.req.url)} />, 401);
			}
			await startTokenSession(c, found.principal.id, found.secretHash);
			return c.redirect(next, 303);
		}
		if (!(await credentialFor(c.env, token))) {
			const problem = "that is not the admin token";
			return c.html(<SignIn next={next} problem={problem} local={isLocal(c.req.url)} />, 401);
		}
		await startSession(c, token);
		return c.redirect(next, 303);
	})
	.post("/logout", allow("anyone"), uiHeaders, sameOriginForms, (c) => {
		endSession(c);
		return c.redirect("/login", 303);
	});
