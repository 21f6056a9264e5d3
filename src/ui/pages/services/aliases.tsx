import { allow } from "../../../access/guard";
import { moveAlias, moveInput, removeAlias } from "../../../catalog/aliases";
import { loadService } from "../../../catalog/services";
import type { Service } from "../../../db/catalog";
import { type AppContext, factory } from "../../../factory";
import { ApiError } from "../../../http/errors";
import { validate } from "../../../http/validation";
import { readForm } from "../../forms";
import { Page } from "../../layout";
import { servicePath } from "./notices";

// Removing and moving an alias: the edit page's forms ask here first (a GET,
// which changes nothing), and only the confirmation page's button does it.

const aliasPath = (service: Service, alias: string, action: "remove" | "move") =>
	`/services/${service.id}/aliases/${encodeURIComponent(alias)}/${action}`;

/** Per alias on the edit page: Remove, and Move to one of `others`, each to a confirmation. */
export function AliasActions({ service, alias, others }: { service: Service; alias: string; others: Service[] }) {
	return (
		<li>
			<strong>{alias}</strong>{" "}
			<form method="get" action={aliasPath(service, alias, "remove")} class="inline">
				<button type="submit">Remove…</button>
			</form>
			{others.length > 0 && (
				<form method="get" action={aliasPath(service, alias, "move")} class="inline">
					<label>
						Move to{" "}
						<select name="to_service_id" required>
							{others.map((other) => (
								<option value={other.id}>{other.name}</option>
							))}
						</select>
					</label>{" "}
					<label>
						<input type="checkbox" name="with_deploys" value="true" checked /> with its past deploys
					</label>{" "}
					<button type="submit">Move…</button>
				</form>
			)}
		</li>
	);
}

/** The service and the alias named in the path, or the 404 for whichever is missing. */
async function aliasOf(c: AppContext) {
	const service = await loadService(c.var.db, c.req.param("id") ?? "");
	const alias = service.aliases.find((a) => a.toLowerCase() === (c.req.param("alias") ?? "").toLowerCase());
	if (alias === undefined) throw ApiError.of(404, "Alias Error", `service '${service.name}' has no alias`);
	return { service, alias };
}

function Confirm({ title, action, children }: { title: string; action: string; children: unknown }) {
	return (
		<Page title={title} section="services">
			<h1>{title}</h1>
			<form method="post" action={action} class="stack panel">
				{children}
			</form>
		</Page>
	);
}

/** The form's with_deploys: a checked box sends "true"; an unchecked one sends nothing. */
const withDeploys = (value: string | undefined) => value === "true";

export const aliasPages = factory
	.createApp()
	.get("/:id/aliases/:alias/remove", allow("editor"), async (c) => {
		const { service, alias } = await aliasOf(c);
		return c.html(
			<Confirm title={`Remove alias ${alias}?`} action={aliasPath(service, alias, "remove")}>
				<p>
					Deploys already recorded under <strong>{alias}</strong> stay with {service.name}. From now on, deploys sent
					under it match no service and the alias shows up among the suggestions.
				</p>
				<div>
					<button type="submit">Remove alias</button> <a href={`/services/${service.id}/edit`}>Cancel</a>
				</div>
			</Confirm>,
		);
	})
	.post("/:id/aliases/:alias/remove", allow("editor"), async (c) => {
		const { service, alias } = await aliasOf(c);
		await removeAlias(c.var.db, service.id, alias, c.var.actor);
		return c.redirect(servicePath(service.id, "alias-removed"), 303);
	})
	.get("/:id/aliases/:alias/move", allow("editor"), async (c) => {
		const { service, alias } = await aliasOf(c);
		const input = validate(moveInput, { to_service_id: c.req.query("to_service_id") });
		const target = await loadService(c.var.db, input.to_service_id);
		const keep = withDeploys(c.req.query("with_deploys"));
		return c.html(
			<Confirm title={`Move alias ${alias} to ${target.name}?`} action={aliasPath(service, alias, "move")}>
				<input type="hidden" name="to_service_id" value={target.id} />
				<input type="hidden" name="with_deploys" value={String(keep)} />
				<p>
					From now on, deploys sent under <strong>{alias}</strong> belong to {target.name}.{" "}
					{keep
						? `The deploys ${service.name} already has under it move to ${target.name} too.`
						: `The deploys ${service.name} already has under it stay with ${service.name}.`}
				</p>
				<div>
					<button type="submit">Move alias</button> <a href={`/services/${service.id}/edit`}>Cancel</a>
				</div>
			</Confirm>,
		);
	})
	.post("/:id/aliases/:alias/move", allow("editor"), async (c) => {
		const { service, alias } = await aliasOf(c);
		const form = await readForm(c);
		const input = validate(moveInput, {
			to_service_id: form.to_service_id,
			with_deploys: withDeploys(form.with_deploys),
		});
		const target = await moveAlias(c.var.db, service.id, alias, input, c.var.actor);
		return c.redirect(servicePath(target.id, "alias-moved"), 303);
	});
