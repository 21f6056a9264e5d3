import { allow } from "../../../access/guard";
import { loadService } from "../../../catalog/services";
import { productionEnvironments } from "../../../catalog/settings";
import type { Incident } from "../../../db/incidents";
import { type AppContext, factory } from "../../../factory";
import type { ApiError } from "../../../http/errors";
import { validate } from "../../../http/validation";
import { checkedIncident, incidentInput, MAX_TITLE, openIncident, resolveIncident } from "../../../incidents/incidents";
import { FormErrors, Table, Time } from "../../components";
import { attempt, readForm } from "../../forms";
import { Page } from "../../layout";
import { may } from "../../viewer";
import { formatDuration } from "./delivery";
import { servicePath } from "./notices";

// A service's incidents: listed on its page, opened and resolved there by editors.

/** How many incidents the service page lists, newest first; the API lists more. */
export const LISTED_INCIDENTS = 10;

const lasted = ({ startedAt, resolvedAt }: Incident) =>
	resolvedAt === null ? "Open" : formatDuration(resolvedAt - startedAt);

/** The service page's list: each incident with its times, and for editors a Resolve button on the open ones. */
export function IncidentList({ serviceId, incidents }: { serviceId: string; incidents: Incident[] }) {
	return (
		<>
			{incidents.length === 0 ? (
				<p class="muted">No incidents recorded.</p>
			) : (
				<Table head={["Started", "Title", "Environment", "Resolved", "Lasted", "Cause"]}>
					{incidents.map((incident) => (
						<tr id={`incident-${incident.id}`}>
							<td>
								<Time ms={incident.startedAt} />
							</td>
							<td>
								{incident.link ? (
									<a href={incident.link} rel="noopener noreferrer">
										{incident.title}
									</a>
								) : (
									incident.title
								)}
							</td>
							<td>{incident.environment}</td>
							<td>
								{incident.resolvedAt === null ? (
									may("editor") ? (
										<form
											method="post"
											action={`/services/${serviceId}/incidents/${incident.id}/resolve`}
											class="inline"
										>
											<button type="submit" class="secondary">
												Resolve now
											</button>
										</form>
									) : (
										<span class="badge failure">open</span>
									)
								) : (
									<Time ms={incident.resolvedAt} />
								)}
							</td>
							<td>{lasted(incident)}</td>
							<td>
								{incident.deployId ? (
									<a href={`/deploys/${incident.deployId}`}>the deploy named</a>
								) : (
									<span class="muted">latest deploy before it</span>
								)}
							</td>
						</tr>
					))}
				</Table>
			)}
			{may("editor") && (
				<p>
					<a class="button secondary" href={`/services/${serviceId}/incidents/new`}>
						Open an incident
					</a>
				</p>
			)}
		</>
	);
}

type Refusal = { values: Record<string, string>; error: ApiError };

function NewIncident({ service, refusal }: { service: { id: string; name: string }; refusal?: Refusal }) {
	const value = (name: string) => refusal?.values[name] ?? "";
	return (
		<Page title={`Open an incident: ${service.name}`} section="services">
			<h1>Open an incident on {service.name}</h1>
			<form method="post" action={`/services/${service.id}/incidents`} class="stack panel">
				<FormErrors errors={refusal?.error.errors} />
				<label>
					Title
					<input name="title" required maxlength={MAX_TITLE} value={value("title")} />
				</label>
				<label>
					Environment <span class="muted">(blank: the first production environment)</span>
					<input name="environment" value={value("environment")} />
				</label>
				<label>
					Started at, UTC <span class="muted">(blank: now; e.g. 2026-11-30 14:05)</span>
					<input name="started_at" value={value("started_at")} />
				</label>
				<label>
					Link <span class="muted">(optional: the alert or the status page)</span>
					<input name="link" type="url" value={value("link")} />
				</label>
				<div>
					<button type="submit">Open incident</button> <a href={`/services/${service.id}`}>Cancel</a>
				</div>
			</form>
		</Page>
	);
}

/** The form again, with why it was refused; an unknown service is a 404 page instead (`loadService`). */
async function refuse(c: AppContext, id: string, refusal: Refusal) {
	return c.html(<NewIncident service={await loadService(c.var.db, id)} refusal={refusal} />, refusal.error.status);
}

export const incidentPages = factory
	.createApp()
	.get("/:id/incidents/new", allow("editor"), async (c) =>
		c.html(<NewIncident service={await loadService(c.var.db, c.req.param("id"))} />),
	)
	.post("/:id/incidents", allow("editor"), async (c) => {
		const id = c.req.param("id");
		const form = await readForm(c);
		const now = Date.now();
		const opened = await attempt(async () => {
			const input = validate(incidentInput, {
				...form,
				service: id,
				started_at: form.started_at || new Date(now).toISOString(),
			});
			const incident = await checkedIncident(c.var.db, input, await productionEnvironments(c.var.db), now);
			return openIncident(c.var.db, incident, c.var.actor, now);
		});
		if (opened.ok) return c.redirect(servicePath(id, "incident-opened"), 303);
		return refuse(c, id, { values: form, error: opened.error });
	})
	.post("/:id/incidents/:incident/resolve", allow("editor"), async (c) => {
		await resolveIncident(c.var.db, c.req.param("incident"), undefined, c.var.actor);
		return c.redirect(servicePath(c.req.param("id"), "incident-resolved"), 303);
	});
