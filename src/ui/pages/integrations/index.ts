import { factory } from "../../../factory";
import { signedIn } from "../../security";
import { integrationList } from "./list";
import { integrationNew } from "./new";
import { integrationRevoke } from "./revoke";
import { integrationRotate } from "./rotate";
import { integrationShow } from "./show";

/** The integrations: their list, creating one, each one's page, rotating its URL and revoking it. */
export const integrationPages = factory
	.createApp()
	.use(...signedIn)
	.route("/", integrationList)
	// /new before the integration page's /:id, which would take it for an id.
	.route("/", integrationNew)
	.route("/", integrationShow)
	.route("/", integrationRotate)
	.route("/", integrationRevoke);
