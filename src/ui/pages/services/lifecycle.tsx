import { allow } from "../../../access/guard";
import { archiveService, deleteService, mergeInput, mergeService } from "../../../catalog/lifecycle";
import { loadService } from "../../../catalog/services";
import type { Service } from "../../../db/catalog";
import { hasDeploys } from "../../../db/lifecycle";
import { type AppContext, factory } from "../../../factory";
import { ApiError, type ErrorObject } from "../../../http/errors";
import { MAX_NAME, validate } from "../../../http/validation";
import { FormErrors } from "../../components";
import { attempt, readForm } from "../../forms";
import { Page } from "../../layout";
import { servicePath } from "./notices";

// Merging, archiving and deleting a service: the edit page's forms ask here
// first (a GET, which changes nothing), and only the confirmation page's
// button does it. Unarchiving undoes nothing anyone would miss, so it is one click.

const path = (service: Service, action: "merge" | "archive" | "unarchive" | "delete") =>
	`/services/${service.id}/${action}`;

/** The edit page's last section: merge into one of `others`, archive or unarchive, delete. */
export function LifecycleActions({ service, others }: { service: Service; others: Service[] }) {
	return (
		<>
			<h2>Merge, archive or delete</h2>
			<div class="stack panel">
				{others.length > 0 && (
					<form method="get" action={path(service, "merge")} class="inline">
						<label>
							Merge into{" "}
							<select name="into_service_id" required>
								{others.map((other) => (
									<option value={other.id}>{other.name}</option>
								))}
							</select>
						</label>{" "}
						<button type="submit">Merge…</button>
					</form>
				)}
				{service.archivedAt === null ? (
					<form method="get" action={path(service, "archive")} class="inline">
						<button type="submit">Archive…</button> <small>Hide it from the services list; deploys still count.</small>
					</form>
				) : (
					<form method="post" action={path(service, "unarchive")} class="inline">
						<button type="submit">Unarchive</button> <small>Show it in the services list again.</small>
					</form>
				)}
				<form method="get" action={path(service, "delete")} class="inline">
					<button type="submit">Delete…</button> <small>Free its aliases; deploys, if any, only with it.</small>
				</form>
			</div>
		</>
	);
}

function Confirm(props: {
	title: string;
	action: string;
	service: Service;
	children: unknown;
	errors?: readonly ErrorObject[];
}) {
	return (
		<Page title={props.title} section="services">
			<h1>{props.title}</h1>
			<FormErrors errors={props.errors} />
			<form method="post" action={props.action} class="stack panel">
				{props.children}
			</form>
			<p>
				<a href={`/services/${props.service.id}/edit`}>Cancel</a>
			</p>
		</Page>
	);
}

function DeletePage({ service, deployed, error }: { service: Service; deployed: boolean; error?: ApiError }) {
	return (
		<Confirm
			title={`Delete ${service.name}?`}
			action={path(service, "delete")}
			service={service}
			errors={error?.errors}
		>
			<p>
				Its aliases ({service.aliases.join(", ") || "none"}) become free: deploys sent under them from now on match no
				service and show up among the suggestions.{" "}
				{deployed
					? "Its deploys, and their status history, are deleted with it. This cannot be undone; archiving keeps them."
					: "It has no deploys."}
			</p>
			{deployed && <input type="hidden" name="purge_deploys" value="true" />}
			<label>
				Type the service's name to confirm
				<input name="confirm_name" required maxlength={MAX_NAME} autocomplete="off" />
			</label>
			<div>
				<button type="submit">{deployed ? "Delete the service and its deploys" : "Delete the service"}</button>
			</div>
		</Confirm>
	);
}

const serviceOf = (c: AppContext) => loadService(c.var.db, c.req.param("id") ?? "");

export const lifecyclePages = factory
	.createApp()
	.get("/:id/merge", allow("editor"), async (c) => {
		const service = await serviceOf(c);
		const input = validate(mergeInput, { into_service_id: c.req.query("into_service_id") });
		const into = await loadService(c.var.db, input.into_service_id);
		return c.html(
			<Confirm title={`Merge ${service.name} into ${into.name}?`} action={path(service, "merge")} service={service}>
				<input type="hidden" name="into_service_id" value={into.id} />
				<p>
					{into.name} takes all of {service.name}'s aliases ({service.aliases.join(", ") || "none"}) and deploys, and
					its numbering carries on past both. Links to {service.name} lead to {into.name} from now on. This cannot be
					undone.
				</p>
				<div>
					<button type="submit">Merge</button>
				</div>
			</Confirm>,
		);
	})
	.post("/:id/merge", allow("editor"), async (c) => {
		const input = validate(mergeInput, await readForm(c));
		const into = await mergeService(c.var.db, c.req.param("id"), input, c.var.actor);
		return c.redirect(servicePath(into.id, "merged"), 303);
	})
	.get("/:id/archive", allow("editor"), async (c) => {
		const service = await serviceOf(c);
		return c.html(
			<Confirm title={`Archive ${service.name}?`} action={path(service, "archive")} service={service}>
				<p>
					It leaves the services list (which can still show archived services). Deploys sent under its aliases are still
					recorded and count for it, and its page stays where it is. You can unarchive it at any time.
				</p>
				<div>
					<button type="submit">Archive</button>
				</div>
			</Confirm>,
		);
	})
	.post("/:id/archive", allow("editor"), async (c) => {
		const service = await archiveService(c.var.db, c.req.param("id"), true, c.var.actor);
		return c.redirect(servicePath(service.id, "archived"), 303);
	})
	.post("/:id/unarchive", allow("editor"), async (c) => {
		const service = await archiveService(c.var.db, c.req.param("id"), false, c.var.actor);
		return c.redirect(servicePath(service.id, "unarchived"), 303);
	})
	.get("/:id/delete", allow("editor"), async (c) => {
		const service = await serviceOf(c);
		return c.html(<DeletePage service={service} deployed={await hasDeploys(c.var.db, service.id)} />);
	})
	.post("/:id/delete", allow("editor"), async (c) => {
		const service = await serviceOf(c);
		const form = await readForm(c);
		const purge = form.purge_deploys === "true";
		const deleted = await attempt(async () => {
			if (form.confirm_name?.trim() !== service.name) {
				throw ApiError.of(400, "Confirm name Error", "the name typed is not the service's name");
			}
			await deleteService(c.var.db, service.id, purge, c.var.actor);
		});
		if (deleted.ok) return c.redirect("/services?done=deleted", 303);
		const deployed = await hasDeploys(c.var.db, service.id);
		return c.html(<DeletePage service={service} deployed={deployed} error={deleted.error} />, deleted.error.status);
	});
