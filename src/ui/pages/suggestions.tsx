import { allow } from "../../access/guard";
import { accept, acceptInput, attach, attachInput, listQuery, setIgnored } from "../../catalog/suggestions";
import { findServices, type Service } from "../../db/catalog";
import { listSuggestions, type Suggestion } from "../../db/suggestions";
import { type AppContext, factory } from "../../factory";
import type { ApiError } from "../../http/errors";
import { MAX_NAME, validate } from "../../http/validation";
import { ActionButton, Empty, FormErrors, NamedSelect, Table, Time } from "../components";
import { attempt, doneNotice, readForm } from "../forms";
import { Page } from "../layout";
import { signedIn } from "../security";
import { may } from "../viewer";
import { servicePath } from "./services";

type State = "open" | "ignored";

/** What an ignore or un-ignore did, told on the page it returns to. */
const NOTICES = {
	ignored: "The alias is ignored: its deploys are still recorded, and it is listed under Ignored.",
	unignored: "The alias is suggested again.",
};

const deploysLink = (alias: string) => `/deploys?${new URLSearchParams({ service: alias })}`;

function Tabs({ state }: { state: State }) {
	const tabs: [State, string, string][] = [
		["open", "/suggestions", "Open"],
		["ignored", "/suggestions?state=ignored", "Ignored"],
	];
	return (
		<nav class="tabs" aria-label="Suggestions">
			{tabs.map(([key, href, label]) => (
				<a href={href} class={key === state ? "current" : undefined} aria-current={key === state ? "page" : undefined}>
					{label}
				</a>
			))}
		</nav>
	);
}

/** A refused form: which suggestion it was for and what was typed, shown again as typed. */
type Refused = { id: string; form: Record<string, string> };

type View = {
	state: State;
	suggestions: Suggestion[];
	services: Service[];
	notice?: string;
	error?: ApiError;
	refused?: Refused;
};

/** The three ways to settle an open suggestion, each its own form. */
function Actions({
	suggestion: s,
	services,
	typed,
}: {
	suggestion: Suggestion;
	services: Service[];
	typed?: Refused["form"];
}) {
	return (
		<div class="actions-cell">
			<form method="post" action={`/suggestions/${s.id}/accept`} class="inline">
				<label>
					Service name
					<input name="name" value={typed?.name ?? s.alias} required maxlength={MAX_NAME} />
				</label>
				<button type="submit">Create service</button>
			</form>
			{services.length > 0 && (
				<form method="post" action={`/suggestions/${s.id}/attach`} class="inline">
					<label>
						Service
						<NamedSelect name="service_id" none="Choose…" choices={services} selected={typed?.service_id} required />
					</label>
					<button type="submit" class="secondary">
						Attach
					</button>
				</form>
			)}
			<ActionButton action={`/suggestions/${s.id}/ignore`} label="Ignore" variant="secondary" />
		</div>
	);
}

function Rows({ state, suggestions, services, refused }: View) {
	return (
		<Table head={may("editor") ? ["Alias", "Deploys", "Last seen", "Actions"] : ["Alias", "Deploys", "Last seen"]}>
			{suggestions.map((s) => (
				<tr>
					<td class="mono">{s.alias}</td>
					<td>
						<a href={deploysLink(s.alias)}>{s.deployCount}</a>
					</td>
					<td>
						<Time ms={s.lastSeenAt} />
					</td>
					{may("editor") && (
						<td>
							{state === "open" ? (
								<Actions suggestion={s} services={services} typed={refused?.id === s.id ? refused.form : undefined} />
							) : (
								<ActionButton action={`/suggestions/${s.id}/unignore`} label="Un-ignore" variant="secondary" />
							)}
						</td>
					)}
				</tr>
			))}
		</Table>
	);
}

function SuggestionsPage(view: View) {
	return (
		<Page title="Suggestions" section="suggestions" notice={view.notice}>
			<h1>Suggestions</h1>
			<p class="muted">
				Service aliases deploys arrived under that no service claims. Create a service for one, attach it to a service
				you have, or ignore it.
			</p>
			<Tabs state={view.state} />
			<FormErrors errors={view.error?.errors} />
			{view.suggestions.length > 0 ? (
				<Rows {...view} />
			) : view.state === "open" ? (
				<Empty title="No suggestions">
					<p>
						Deploys whose service alias no service claims show up here, so you can create a service for the alias or
						attach it to an existing one.
					</p>
				</Empty>
			) : (
				<Empty title="No ignored suggestions">
					<p>Aliases you ignore are listed here; their deploys are still recorded.</p>
				</Empty>
			)}
		</Page>
	);
}

type Ctx = AppContext<"/:id">;

/** The list showing `state`, as it stands now; with the error's status when showing a refusal. */
async function render(c: AppContext, state: State, extra: Pick<View, "notice" | "error" | "refused"> = {}) {
	const [suggestions, services] = await Promise.all([listSuggestions(c.var.db, state), findServices(c.var.db)]);
	return c.html(
		<SuggestionsPage state={state} suggestions={suggestions} services={services} {...extra} />,
		extra.error?.status ?? 200,
	);
}

/**
 * Runs an action posted from the list showing `state`: on success, a redirect
 * to the path `work` answers; refused, that list again with the reason.
 */
async function act(c: Ctx, state: State, work: (id: string, form: Record<string, string>) => Promise<string>) {
	const id = c.req.param("id");
	const form = await readForm(c);
	const done = await attempt(() => work(id, form));
	return done.ok ? c.redirect(done.value, 303) : render(c, state, { error: done.error, refused: { id, form } });
}

export const suggestionsPages = factory
	.createApp()
	.use(...signedIn)
	.get("/", allow("viewer"), async (c) => {
		const { state } = validate(listQuery, c.req.query());
		return render(c, state ?? "open", { notice: doneNotice(c, NOTICES) });
	})
	.post("/:id/accept", allow("editor"), (c) =>
		act(c, "open", async (id, form) => {
			const input = validate(acceptInput, form);
			return servicePath(await accept(c.var.db, id, c.var.actor, input?.name), "accepted");
		}),
	)
	.post("/:id/attach", allow("editor"), (c) =>
		act(c, "open", async (id, form) => {
			const input = validate(attachInput, form);
			await attach(c.var.db, id, input.service_id, c.var.actor);
			return servicePath(input.service_id, "alias-added");
		}),
	)
	.post("/:id/ignore", allow("editor"), (c) =>
		act(c, "open", async (id) => {
			await setIgnored(c.var.db, id, true, c.var.actor);
			return "/suggestions?done=ignored";
		}),
	)
	.post("/:id/unignore", allow("editor"), (c) =>
		act(c, "ignored", async (id) => {
			await setIgnored(c.var.db, id, false, c.var.actor);
			return "/suggestions?done=unignored";
		}),
	);
