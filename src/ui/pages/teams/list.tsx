import { allow } from "../../../access/guard";
import { createTeam, teamInput } from "../../../catalog/teams";
import { findTeams } from "../../../db/teams";
import { type AppContext, factory } from "../../../factory";
import type { ApiError } from "../../../http/errors";
import { MAX_NAME, validate } from "../../../http/validation";
import { Empty, FormErrors, Table } from "../../components";
import { attempt, doneNotice, readForm, splitList } from "../../forms";
import { Page } from "../../layout";
import { may } from "../../viewer";
import { LIST_NOTICES, teamPath } from "./notices";

type Typed = { name: string; members: string };

/** The teams, and (for editors) the form that creates one, with what was typed and why it was refused. */
async function render(c: AppContext, refused?: { typed: Typed; error: ApiError }) {
	const teams = await findTeams(c.var.db);
	const page = (
		<Page title="Teams" section="teams" notice={doneNotice(c, LIST_NOTICES)}>
			<h1>Teams</h1>
			{teams.length === 0 ? (
				<Empty title="No teams yet">
					<p>A team owns services: its page sums up their delivery, and lists filter by it.</p>
				</Empty>
			) : (
				<Table head={["Team", "Services", "Members"]}>
					{teams.map((team) => (
						<tr>
							<td>
								<a href={teamPath(team.id)}>{team.name}</a>
							</td>
							<td>{team.services.map((s) => s.name).join(", ") || <span class="muted">—</span>}</td>
							<td>{team.members.length}</td>
						</tr>
					))}
				</Table>
			)}
			{may("editor") && <NewTeam typed={refused?.typed} error={refused?.error} />}
		</Page>
	);
	return c.html(page, refused?.error.status ?? 200);
}

/** Members as a form field: one email per line. */
export const membersField = (members: readonly string[]) => members.join("\n");

function NewTeam({ typed, error }: { typed?: Typed; error?: ApiError }) {
	return (
		<>
			<h2>New team</h2>
			<FormErrors errors={error?.errors} />
			<form method="post" action="/teams" class="stack panel">
				<label>
					Name
					<input name="name" value={typed?.name ?? ""} required maxlength={MAX_NAME} />
				</label>
				<label>
					Members
					<small>Emails, one per line or separated by commas; optional.</small>
					<textarea name="members">{typed?.members ?? ""}</textarea>
				</label>
				<div>
					<button type="submit">Create team</button>
				</div>
			</form>
		</>
	);
}

export const teamList = factory
	.createApp()
	.get("/", allow("viewer"), (c) => render(c))
	.post("/", allow("editor"), async (c) => {
		const form = await readForm(c);
		const input = { name: form.name, members: splitList(form.members) };
		const created = await attempt(() => createTeam(c.var.db, validate(teamInput, input), c.var.actor));
		if (created.ok) return c.redirect(teamPath(created.value.id, "created"), 303);
		return render(c, { typed: { name: form.name ?? "", members: form.members ?? "" }, error: created.error });
	});
