import { factory } from "../../../factory";
import { signedIn } from "../../security";
import { deployList } from "./list";
import { deployShow } from "./show";

/** The deploys: their list, filtered and exported, and each one's page. */
export const deploysPages = factory
	.createApp()
	.use(...signedIn)
	// The list's /export.csv before the deploy page's /:id, which would take it for an id.
	.route("/", deployList)
	.route("/", deployShow);
