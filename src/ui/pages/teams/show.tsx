import { allow } from "../../../access/guard";
import { incidentWindowHours, productionEnvironments } from "../../../catalog/settings";
import { deleteTeam, loadTeam, teamChange, updateTeam } from "../../../catalog/teams";
import { type Team, teamEnvironments } from "../../../db/teams";
import { type AppContext, factory } from "../../../factory";
import { DAY } from "../../../http/datetime";
import type { ApiError } from "../../../http/errors";
import { MAX_NAME, validate } from "../../../http/validation";
import { chosenEnvironment, DELIVERY_DAYS } from "../../../metrics/dora";
import { FormErrors } from "../../components";
import { attempt, doneNotice, readForm, splitList } from "../../forms";
import { Page } from "../../layout";
import { may } from "../../viewer";
import { type Delivery, DeliverySection, delivery } from "../services/delivery";
import { membersField } from "./list";
import { NOTICES, teamPath } from "./notices";

function TeamPage({ team, delivery, notice }: { team: Team; delivery: Delivery; notice?: string }) {
	return (
		<Page title={team.name} section="teams" notice={notice}>
			<div class="heading">
				<h1>{team.name}</h1>
				<span class="muted">
					{team.members.length > 0 ? `Members: ${team.members.join(", ")}` : "No members listed"}
				</span>
				{may("editor") && (
					<div class="actions">
						<a class="button secondary" href={`${teamPath(team.id)}/edit`}>
							Edit
						</a>
					</div>
				)}
			</div>
			<h2>Services</h2>
			{team.services.length === 0 ? (
				<p class="muted">None yet: give it one from the service's Edit page.</p>
			) : (
				<ul>
					{team.services.map((s) => (
						<li>
							<a href={`/services/${s.id}`}>{s.name}</a>
						</li>
					))}
				</ul>
			)}
			<p>
				<a href={`/deploys?team=${team.id}`}>Its deploys</a> · <a href={`/services?team=${team.id}`}>Its services</a>
			</p>
			<h2>Delivery</h2>
			<p class="muted">Over the deploys of all its services.</p>
			<DeliverySection delivery={delivery} />
		</Page>
	);
}

type Refusal = { typed: { name: string; members: string }; error: ApiError };

function EditTeam({ team, refusal }: { team: Team; refusal?: Refusal }) {
	return (
		<Page title={`Edit ${team.name}`} section="teams">
			<h1>Edit {team.name}</h1>
			<FormErrors errors={refusal?.error.errors} />
			<form method="post" action={teamPath(team.id)} class="stack panel">
				<label>
					Name
					<input name="name" value={refusal?.typed.name ?? team.name} required maxlength={MAX_NAME} />
				</label>
				<label>
					Members
					<small>Emails, one per line or separated by commas.</small>
					<textarea name="members">{refusal?.typed.members ?? membersField(team.members)}</textarea>
				</label>
				<div>
					<button type="submit">Save</button> <a href={teamPath(team.id)}>Cancel</a>
				</div>
			</form>
			<h2>Delete</h2>
			<form method="get" action={`${teamPath(team.id)}/delete`}>
				<button type="submit">Delete team…</button>
			</form>
		</Page>
	);
}

/** The team's figures for the environment asked for, else the first production one its services deploy to. */
async function teamDelivery(c: AppContext, team: Team) {
	const now = Date.now();
	const [environments, production, windowHours] = await Promise.all([
		teamEnvironments(c.var.db, team.id, now - DELIVERY_DAYS * DAY),
		productionEnvironments(c.var.db),
		incidentWindowHours(c.var.db),
	]);
	const chosen = chosenEnvironment(c.req.query("environment")?.slice(0, MAX_NAME), environments, production);
	return delivery(c.var.db, { teamId: team.id }, now, environments, chosen, windowHours);
}

/** A team's page, and changing or deleting it (the deletion asks first). */
export const teamShow = factory
	.createApp()
	.get("/:id", allow("viewer"), async (c) => {
		const team = await loadTeam(c.var.db, c.req.param("id"));
		return c.html(<TeamPage team={team} delivery={await teamDelivery(c, team)} notice={doneNotice(c, NOTICES)} />);
	})
	.get("/:id/edit", allow("editor"), async (c) =>
		c.html(<EditTeam team={await loadTeam(c.var.db, c.req.param("id"))} />),
	)
	.post("/:id", allow("editor"), async (c) => {
		const id = c.req.param("id");
		const form = await readForm(c);
		const input = { name: form.name, members: splitList(form.members) };
		const saved = await attempt(() => updateTeam(c.var.db, id, validate(teamChange, input), c.var.actor));
		if (saved.ok) return c.redirect(teamPath(id, "updated"), 303);
		if (saved.error.status === 404) throw saved.error;
		const typed = { name: form.name ?? "", members: form.members ?? "" };
		const team = await loadTeam(c.var.db, id);
		return c.html(<EditTeam team={team} refusal={{ typed, error: saved.error }} />, saved.error.status);
	})
	.get("/:id/delete", allow("editor"), async (c) => {
		const team = await loadTeam(c.var.db, c.req.param("id"));
		const owned = team.services.length;
		return c.html(
			<Page title={`Delete team ${team.name}?`} section="teams">
				<h1>Delete team {team.name}?</h1>
				<form method="post" action={`${teamPath(team.id)}/delete`} class="stack panel">
					<p>
						{owned === 0
							? "It owns no services."
							: `Its ${owned === 1 ? "service stays" : `${owned} services stay`}, with no team; their deploys are kept.`}
					</p>
					<div>
						<button type="submit">Delete team</button> <a href={`${teamPath(team.id)}/edit`}>Cancel</a>
					</div>
				</form>
			</Page>,
		);
	})
	.post("/:id/delete", allow("editor"), async (c) => {
		await deleteTeam(c.var.db, c.req.param("id"), c.var.actor);
		return c.redirect("/teams?done=deleted", 303);
	});
