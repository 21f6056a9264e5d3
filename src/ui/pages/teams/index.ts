import { factory } from "../../../factory";
import { signedIn } from "../../security";
import { teamList } from "./list";
import { teamShow } from "./show";

/** The teams: their list and creating one, each team's page, and changing or deleting it. */
export const teamsPages = factory
	.createApp()
	.use(...signedIn)
	.route("/", teamList)
	.route("/", teamShow);
