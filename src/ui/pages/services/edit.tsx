import { allow } from "../../../access/guard";
import { addAlias, loadService, newAlias, rename, renameService } from "../../../catalog/services";
import { ownerInput, setServiceTeam } from "../../../catalog/teams";
import { findServices, type Service } from "../../../db/catalog";
import { findTeams, type Team } from "../../../db/teams";
import { type AppContext, factory } from "../../../factory";
import type { ApiError } from "../../../http/errors";
import { MAX_NAME, validate } from "../../../http/validation";
import { FormErrors, NamedSelect } from "../../components";
import { attempt, readForm } from "../../forms";
import { Page } from "../../layout";
import { AliasActions } from "./aliases";
import { LifecycleActions } from "./lifecycle";
import { servicePath } from "./notices";

type Refusal = { form: "rename" | "alias" | "team"; value: string; error: ApiError };

type Editing = { service: Service; others: Service[]; teams: Team[] };

/** Which team owns the service: a choice of every team, or none. */
function TeamChoice({ service, teams }: { service: Service; teams: Team[] }) {
	return (
		<form method="post" action={`/services/${service.id}/team`} class="stack panel">
			<label>
				Team
				<small>The team that owns it: its deploys count in the team's figures and filters.</small>
				<NamedSelect name="team_id" none="No team" choices={teams} selected={service.team?.id} />
			</label>
			<div>
				<button type="submit">Save team</button> <a href={`/services/${service.id}`}>Cancel</a>
			</div>
		</form>
	);
}

function EditService({ service, others, teams, refusal }: Editing & { refusal?: Refusal }) {
	const errorsOf = (form: Refusal["form"]) => (refusal?.form === form ? refusal.error.errors : undefined);
	const typed = (form: Refusal["form"], fallback: string) => (refusal?.form === form ? refusal.value : fallback);
	return (
		<Page title={`Edit ${service.name}`} section="services">
			<h1>Edit {service.name}</h1>

			<h2>Rename</h2>
			<FormErrors errors={errorsOf("rename")} />
			<form method="post" action={`/services/${service.id}/rename`} class="stack panel">
				<label>
					Name
					<input name="name" value={typed("rename", service.name)} required maxlength={MAX_NAME} />
				</label>
				<div>
					<button type="submit">Rename</button> <a href={`/services/${service.id}`}>Cancel</a>
				</div>
			</form>

			<h2>Team</h2>
			<FormErrors errors={errorsOf("team")} />
			<TeamChoice service={service} teams={teams} />

			<h2>Aliases</h2>
			{service.aliases.length > 0 ? (
				<ul>
					{service.aliases.map((alias) => (
						<AliasActions service={service} alias={alias} others={others} />
					))}
				</ul>
			) : (
				<p class="muted">None yet.</p>
			)}
			<FormErrors errors={errorsOf("alias")} />
			<form method="post" action={`/services/${service.id}/aliases`} class="stack panel">
				<label>
					Alias
					<small>Another name pipelines send for this service. Earlier deploys under it join the service.</small>
					<input name="alias" value={typed("alias", "")} required maxlength={MAX_NAME} />
				</label>
				<div>
					<button type="submit">Add alias</button> <a href={`/services/${service.id}`}>Cancel</a>
				</div>
			</form>
			<p class="muted">
				Removing or moving an alias changes where deploys sent under it from then on belong; each asks you to confirm.
			</p>

			<LifecycleActions service={service} others={others} />
		</Page>
	);
}

/** Renaming a service, giving it a team and adding aliases to it (removing and moving them: see `aliasPages`). */
export const serviceEdit = factory
	.createApp()
	.get("/:id/edit", allow("editor"), async (c) => c.html(<EditService {...(await editing(c, c.req.param("id")))} />))
	.post("/:id/rename", allow("editor"), async (c) => {
		const id = c.req.param("id");
		const form = await readForm(c);
		const renamed = await attempt(() => renameService(c.var.db, id, validate(rename, form).name, c.var.actor));
		if (renamed.ok) return c.redirect(servicePath(id, "renamed"), 303);
		return refuse(c, id, { form: "rename", value: form.name ?? "", error: renamed.error });
	})
	.post("/:id/aliases", allow("editor"), async (c) => {
		const id = c.req.param("id");
		const form = await readForm(c);
		const added = await attempt(() => addAlias(c.var.db, id, validate(newAlias, form).alias, c.var.actor));
		if (added.ok) return c.redirect(servicePath(id, added.value.added ? "alias-added" : "alias-kept"), 303);
		return refuse(c, id, { form: "alias", value: form.alias ?? "", error: added.error });
	})
	.post("/:id/team", allow("editor"), async (c) => {
		const id = c.req.param("id");
		const form = await readForm(c);
		const owned = await attempt(() => setServiceTeam(c.var.db, id, validate(ownerInput, form).team_id, c.var.actor));
		if (owned.ok) return c.redirect(servicePath(id, "team-changed"), 303);
		return refuse(c, id, { form: "team", value: form.team_id ?? "", error: owned.error });
	});

/** The edit page again, with why a change was refused; an unknown service is a 404 page instead. */
async function refuse(c: AppContext, id: string, refusal: Refusal) {
	if (refusal.error.status === 404) throw refusal.error;
	return c.html(<EditService {...(await editing(c, id))} refusal={refusal} />, refusal.error.status);
}

/** The service being edited, the others an alias could move to, and the teams that could own it. */
async function editing(c: AppContext, id: string): Promise<Editing> {
	const [service, all, teams] = await Promise.all([
		loadService(c.var.db, id),
		findServices(c.var.db),
		findTeams(c.var.db),
	]);
	return { service, others: all.filter((other) => other.id !== service.id), teams };
}
