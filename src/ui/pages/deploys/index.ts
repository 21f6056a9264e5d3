import { Hono } from "hono";
import type { AppEnv } from "../../../env";
import { signedIn } from "../../security";
import { deployList } from "./list";
import { deployShow } from "./show";

/** The deploys: their list, filtered and exported, and each one's page. */
export const deploysPages = new Hono<AppEnv>()
	.use(...signedIn)
	// The list's /export.csv before the deploy page's /:id, which would take it for an id.
	.route("/", deployList)
	.route("/", deployShow);
