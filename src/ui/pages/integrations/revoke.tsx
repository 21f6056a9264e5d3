import { allow } from "../../../access/guard";
import { loadIntegration, revokeIntegration } from "../../../catalog/integrations";
import { factory } from "../../../factory";
import { ActionButton } from "../../components";
import { Page } from "../../layout";

/** Revoking an integration: its URL answers 404 from then on. */
export const integrationRevoke = factory
	.createApp()
	.get("/:id/revoke", allow("admin"), async (c) => {
		const integration = await loadIntegration(c.var.db, c.req.param("id"));
		return c.html(
			<Page title={`Revoke ${integration.name}`} section="integrations">
				<h1>Revoke {integration.name}?</h1>
				<div class="panel">
					<p>
						Pipelines posting to its URL will get <code>404</code> from now on. Deploys it already reported stay. This
						cannot be undone: to report again, create a new integration.
					</p>
					<p>
						<ActionButton
							action={`/integrations/${integration.id}/revoke`}
							label="Revoke integration"
							variant="danger"
						/>{" "}
						<a href={`/integrations/${integration.id}`}>Cancel</a>
					</p>
				</div>
			</Page>,
		);
	})
	.post("/:id/revoke", allow("admin"), async (c) => {
		const ledgers = { ledgers: c.env.LEDGER, meter: c.var.meter };
		await revokeIntegration(c.var.db, ledgers, c.req.param("id"), c.var.actor);
		return c.redirect("/integrations?revoked", 303);
	});
