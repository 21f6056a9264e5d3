import { allow } from "../../../access/guard";
import { createService, serviceInput } from "../../../catalog/services";
import { productionEnvironments } from "../../../catalog/settings";
import { ARCHIVED_CHOICES, type ArchivedChoice, findServices, type Service } from "../../../db/catalog";
import { type ServiceOverview, serviceOverviews } from "../../../db/environments";
import { findTeams, type Team } from "../../../db/teams";
import { teamFilter } from "../../../deploys/query";
import { factory } from "../../../factory";
import { DAY } from "../../../http/datetime";
import type { ErrorObject } from "../../../http/errors";
import { MAX_ID, MAX_NAME, validate } from "../../../http/validation";
import { Empty, FormErrors, NamedSelect, StatusBadge, Table, Time } from "../../components";
import { attempt, doneNotice, readForm, splitList } from "../../forms";
import { Page } from "../../layout";
import { may } from "../../viewer";
import { Attempt } from "./attempt";
import { servicePath } from "./notices";

const RECENT_DAYS = 30;

function ProductionCells({ overview }: { overview: ServiceOverview | undefined }) {
	const deploy = overview?.production;
	const attempt = overview?.attempt && <Attempt {...overview.attempt} />;
	if (!deploy) {
		return (
			<>
				<td>
					<span class="muted">Not deployed</span>
					{attempt}
				</td>
				<td />
				<td />
			</>
		);
	}
	return (
		<>
			<td>
				<a href={`/deploys/${deploy.id}`}>
					<Time ms={deploy.deployedAt} />
				</a>
				{attempt}
			</td>
			<td class="mono">{deploy.deployNumber}</td>
			<td>
				<StatusBadge status={deploy.status} />
			</td>
		</>
	);
}

type ListProps = {
	services: Service[];
	overviews: Map<string, ServiceOverview>;
	production: readonly string[];
	teams: Team[];
	/** The team the list is filtered by, if any. */
	team?: string;
	archived: ArchivedChoice;
	notice?: string;
};

const TABS: [ArchivedChoice, string][] = [
	["exclude", "Active"],
	["only", "Archived"],
	["include", "All"],
];

/** The list's own URL for a choice of archived services and team, so each view is a link one can share. */
function listHref(archived: ArchivedChoice, team?: string): string {
	const query = new URLSearchParams();
	if (archived !== "exclude") query.set("archived", archived);
	if (team) query.set("team", team);
	return query.size > 0 ? `/services?${query}` : "/services";
}

/** Which services the list shows, from `?archived=`: an unknown value shows the default. */
const archivedChoice = (value: string | undefined): ArchivedChoice =>
	ARCHIVED_CHOICES.find((choice) => choice === value) ?? "exclude";

const NOTICES = { deleted: "The service was deleted; its aliases are free again." } as const;

/** A GET form, so a team's list is a link one can share; it keeps the archived tab. */
function TeamFilter({ teams, team, archived }: { teams: Team[]; team?: string; archived: ArchivedChoice }) {
	return (
		<form method="get" action="/services" class="filters">
			{archived !== "exclude" && <input type="hidden" name="archived" value={archived} />}
			<label>
				Team
				<NamedSelect name="team" none="Any" choices={teams} selected={team} />
			</label>
			<div>
				<button type="submit">Filter</button>
			</div>
		</form>
	);
}

function ServiceList({ services, overviews, production, teams, team, archived, notice }: ListProps) {
	return (
		<Page title="Services" section="services" notice={notice}>
			<div class="heading">
				<h1>Services</h1>
				{may("editor") && (
					<div class="actions">
						<a class="button" href="/services/new">
							New service
						</a>
					</div>
				)}
			</div>
			<nav class="tabs" aria-label="Services">
				{TABS.map(([key, label]) => (
					<a
						href={listHref(key, team)}
						class={key === archived ? "current" : undefined}
						aria-current={key === archived ? "page" : undefined}
					>
						{label}
					</a>
				))}
			</nav>
			{teams.length > 0 && <TeamFilter teams={teams} team={team} archived={archived} />}
			{services.length === 0 && team ? (
				<Empty title="This team owns no services">
					<p>
						Give it one from a service's Edit page, or <a href="/services">see every service</a>.
					</p>
				</Empty>
			) : services.length === 0 && archived !== "exclude" ? (
				<p class="muted">No archived services.</p>
			) : services.length === 0 ? (
				<Empty title="No services yet">
					<p>
						To start tracking deploys, <a href="/integrations/new">create an integration</a> and send a deploy from your
						pipeline: the service it names shows up under <a href="/suggestions">Suggestions</a>, ready to accept. Or
						create the service first, with the names your pipelines use for it.
					</p>
					{may("admin") && (
						<a class="button" href="/integrations/new">
							New integration
						</a>
					)}{" "}
					{may("editor") && (
						<a class="button secondary" href="/services/new">
							New service
						</a>
					)}
				</Empty>
			) : (
				<Table
					head={[
						"Service",
						// Only once there are teams: before that the column would say nothing on every row.
						...(teams.length > 0 ? ["Team"] : []),
						"Aliases",
						"In production",
						"#",
						"Status",
						`Deploys, last ${RECENT_DAYS} days`,
					]}
				>
					{services.map((service) => (
						<tr>
							<td>
								<a href={`/services/${service.id}`}>{service.name}</a>
								{service.archivedAt !== null && (
									<>
										{" "}
										<span class="badge archived">Archived</span>
									</>
								)}
							</td>
							{teams.length > 0 && (
								<td>
									{service.team ? (
										<a href={`/teams/${service.team.id}`}>{service.team.name}</a>
									) : (
										<span class="muted">—</span>
									)}
								</td>
							)}
							<td>{service.aliases.join(", ") || <span class="muted">—</span>}</td>
							<ProductionCells overview={overviews.get(service.id)} />
							<td class="mono">{overviews.get(service.id)?.recentDeploys ?? 0}</td>
						</tr>
					))}
				</Table>
			)}
			<p class="muted">
				In production: the environments named {production.join(", ")} (any letter case), as the{" "}
				<a href="/settings">settings</a> say.
			</p>
		</Page>
	);
}

function NewService({ name, aliases, errors }: { name: string; aliases: string; errors?: readonly ErrorObject[] }) {
	return (
		<Page title="New service" section="services">
			<h1>New service</h1>
			<FormErrors errors={errors} />
			<form method="post" action="/services" class="stack panel">
				<label>
					Name
					<input name="name" value={name} required maxlength={MAX_NAME} />
				</label>
				<label>
					Aliases
					<small>
						The names your pipelines send as <code>service</code>, one per line or separated by commas; letter case does
						not matter. Leave empty to use the name.
					</small>
					<textarea name="aliases">{aliases}</textarea>
				</label>
				<div>
					<button type="submit">Create service</button> <a href="/services">Cancel</a>
				</div>
			</form>
		</Page>
	);
}

/** The services list, and creating a service. */
export const serviceList = factory
	.createApp()
	.get("/", allow("viewer"), async (c) => {
		const since = Date.now() - RECENT_DAYS * DAY;
		const team = c.req.query("team")?.trim().slice(0, MAX_ID) || undefined;
		const archived = archivedChoice(c.req.query("archived"));
		const { teamId } = await teamFilter(c.var.db, team);
		const [services, production, teams] = await Promise.all([
			findServices(c.var.db, { teamId, archived }),
			productionEnvironments(c.var.db),
			findTeams(c.var.db),
		]);
		const overviews = await serviceOverviews(c.var.db, since, production);
		return c.html(
			<ServiceList
				services={services}
				overviews={overviews}
				production={production}
				teams={teams}
				team={teamId}
				archived={archived}
				notice={doneNotice(c, NOTICES)}
			/>,
		);
	})
	.get("/new", allow("editor"), (c) => c.html(<NewService name="" aliases="" />))
	.post("/", allow("editor"), async (c) => {
		const form = await readForm(c);
		const aliases = splitList(form.aliases);
		const input = { name: form.name, aliases: aliases.length > 0 ? aliases : undefined };
		const created = await attempt(() => createService(c.var.db, validate(serviceInput, input), c.var.actor));
		if (created.ok) return c.redirect(servicePath(created.value.id, "created"), 303);
		return c.html(
			<NewService name={form.name ?? ""} aliases={form.aliases ?? ""} errors={created.error.errors} />,
			created.error.status,
		);
	});
