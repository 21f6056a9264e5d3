import { allow } from "../../../access/guard";
import { addAlias, loadService, newAlias, rename, renameService } from "../../../catalog/services";
import type { Service } from "../../../db/catalog";
import { type AppContext, factory } from "../../../factory";
import type { ApiError } from "../../../http/errors";
import { MAX_NAME, validate } from "../../../http/validation";
import { FormErrors } from "../../components";
import { attempt, readForm } from "../../forms";
import { Page } from "../../layout";
import { servicePath } from "./notices";

type Refusal = { form: "rename" | "alias"; value: string; error: ApiError };

function EditService({ service, refusal }: { service: Service; refusal?: Refusal }) {
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

			<h2>Aliases</h2>
			<p>{service.aliases.length > 0 ? service.aliases.join(", ") : <span class="muted">None yet.</span>}</p>
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
				Aliases cannot be removed or moved to another service: deploys are matched to services by alias as they arrive,
				and the deploy endpoints remember which service owns each alias.
			</p>
		</Page>
	);
}

/** Renaming a service and adding aliases to it. */
export const serviceEdit = factory
	.createApp()
	.get("/:id/edit", allow("editor"), async (c) =>
		c.html(<EditService service={await loadService(c.var.db, c.req.param("id"))} />),
	)
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
	});

/** The edit page again, with why a change was refused; an unknown service is a 404 page instead. */
async function refuse(c: AppContext, id: string, refusal: Refusal) {
	if (refusal.error.status === 404) throw refusal.error;
	const service = await loadService(c.var.db, id);
	return c.html(<EditService service={service} refusal={refusal} />, refusal.error.status);
}
