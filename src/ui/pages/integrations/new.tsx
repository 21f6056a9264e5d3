import { z } from "zod";
import { allow } from "../../../access/guard";
import { createIntegration } from "../../../catalog/integrations";
import { INTEGRATION_KINDS, type IntegrationKind } from "../../../db/schema";
import { factory } from "../../../factory";
import { ApiError, type ErrorObject } from "../../../http/errors";
import { MAX_NAME, object, requiredText, validate } from "../../../http/validation";
import { KINDS } from "../../../pipelines/snippets";
import { FormErrors } from "../../components";
import { attempt, readForm } from "../../forms";
import { Page } from "../../layout";
import { showIntegration } from "./show";

const newIntegration = object({
	name: requiredText({ max: MAX_NAME }),
	kind: z.enum(INTEGRATION_KINDS, { error: "param must be one of the tiles" }),
});

const isKind = (value: string): value is IntegrationKind => (INTEGRATION_KINDS as readonly string[]).includes(value);

function Tiles() {
	return (
		<Page title="New integration" section="integrations">
			<h1>New integration</h1>
			<p class="muted">Where do your deploys run? Each integration gets its own secret URL to post deploys to.</p>
			<div class="tiles">
				{INTEGRATION_KINDS.map((kind) => (
					<a class="tile" href={`/integrations/new/${kind}`}>
						<strong>{KINDS[kind].label}</strong>
						<span>{KINDS[kind].blurb}</span>
					</a>
				))}
			</div>
		</Page>
	);
}

function NewForm({ kind, name, errors }: { kind: IntegrationKind; name: string; errors?: readonly ErrorObject[] }) {
	return (
		<Page title={`New ${KINDS[kind].label} integration`} section="integrations">
			<h1>New {KINDS[kind].label} integration</h1>
			<FormErrors errors={errors} />
			<form method="post" action="/integrations" class="stack panel">
				<input type="hidden" name="kind" value={kind} />
				<label>
					Name
					<small>Shown in lists; the URL stays secret.</small>
					<input name="name" value={name} required maxlength={MAX_NAME} />
				</label>
				<div>
					<button type="submit">Create a Deploy Endpoint</button> <a href="/integrations/new">Cancel</a>
				</div>
			</form>
		</Page>
	);
}

/** Creating an integration: a tile per tool, then its name. */
export const integrationNew = factory
	.createApp()
	.get("/new", allow("admin"), (c) => c.html(<Tiles />))
	.get("/new/:kind", allow("admin"), (c) => {
		const kind = c.req.param("kind");
		if (!isKind(kind)) throw ApiError.of(404, "Integration Error", `there is no tile '${kind}'`);
		return c.html(<NewForm kind={kind} name={KINDS[kind].label} />);
	})
	.post("/", allow("admin"), async (c) => {
		const form = await readForm(c);
		const created = await attempt(() => createIntegration(c.var.db, validate(newIntegration, form), c.var.actor));
		if (!created.ok) {
			const kind = isKind(form.kind ?? "") ? (form.kind as IntegrationKind) : "deploy";
			return c.html(<NewForm kind={kind} name={form.name ?? ""} errors={created.error.errors} />, created.error.status);
		}
		const { id, signingSecret } = created.value;
		// A signing secret is shown on this answer only, as a new API token's is; the rest go to their page.
		if (signingSecret === null) return c.redirect(`/integrations/${id}`, 303);
		return showIntegration(c, created.value, { secret: signingSecret }, 201);
	});
