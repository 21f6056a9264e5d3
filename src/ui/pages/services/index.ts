import { factory } from "../../../factory";
import { signedIn } from "../../security";
import { aliasPages } from "./aliases";
import { serviceEdit } from "./edit";
import { incidentPages } from "./incidents";
import { lifecyclePages } from "./lifecycle";
import { serviceList } from "./list";
import { serviceShow } from "./show";

export { servicePath } from "./notices";

/** The services: their list, each one's page, and creating and editing them. */
export const servicesPages = factory
	.createApp()
	.use(...signedIn)
	// The list's /new before the service page's /:id, which would take it for an id.
	.route("/", serviceList)
	.route("/", serviceShow)
	.route("/", serviceEdit)
	.route("/", aliasPages)
	.route("/", lifecyclePages)
	.route("/", incidentPages);
