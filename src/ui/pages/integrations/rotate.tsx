import { z } from "zod";
import { allow } from "../../../access/guard";
import {
	DEFAULT_GRACE_SECONDS,
	loadIntegration,
	MAX_GRACE_SECONDS,
	rotateWebhookToken,
} from "../../../catalog/integrations";
import { factory } from "../../../factory";
import { DAY, HOUR } from "../../../http/datetime";
import { object, validate } from "../../../http/validation";
import { readForm } from "../../forms";
import { Page } from "../../layout";

/** Grace periods offered when rotating a URL, in seconds. */
const GRACE: [number, string][] = [
	[0, "None: retire it now"],
	[HOUR / 1000, "1 hour"],
	[DAY / 1000, "1 day"],
	[(7 * DAY) / 1000, "7 days"],
	[MAX_GRACE_SECONDS, "30 days"],
];
const GRACE_CHOICES = GRACE.map(([seconds]) => String(seconds)) as [string, ...string[]];

const rotation = object({
	grace_seconds: z.enum(GRACE_CHOICES, { error: "param must be one of the offered periods" }).transform(Number),
});

/** Giving an integration a new URL, the old one working on for a grace period. */
export const integrationRotate = factory
	.createApp()
	.get("/:id/rotate", allow("admin"), async (c) => {
		const integration = await loadIntegration(c.var.db, c.req.param("id"));
		return c.html(
			<Page title={`Rotate ${integration.name}`} section="integrations">
				<h1>Give {integration.name} a new URL?</h1>
				<form method="post" action={`/integrations/${integration.id}/rotate`} class="stack panel">
					<p>
						Do this when the URL may have leaked. Pipelines must then post to the new URL; for the grace period you
						choose the old one keeps working, so no deploy is lost while you update them.
					</p>
					<label>
						Keep the old URL working for
						<select name="grace_seconds">
							{GRACE.map(([seconds, label]) => (
								<option value={String(seconds)} selected={seconds === DEFAULT_GRACE_SECONDS}>
									{label}
								</option>
							))}
						</select>
					</label>
					<div>
						<button type="submit">Rotate URL</button> <a href={`/integrations/${integration.id}`}>Cancel</a>
					</div>
				</form>
			</Page>,
		);
	})
	.post("/:id/rotate", allow("admin"), async (c) => {
		const id = c.req.param("id");
		const { grace_seconds } = validate(rotation, await readForm(c));
		const ledgers = { ledgers: c.env.LEDGER, meter: c.var.meter };
		await rotateWebhookToken(c.var.db, ledgers, id, grace_seconds * 1000, c.var.actor);
		return c.redirect(`/integrations/${id}?rotated`, 303);
	});
