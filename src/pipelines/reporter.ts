import { Hono } from "hono";
import reporter from "../../scripts/report-deploy.sh";
import type { AppEnv } from "../env";

/** The reporter script, so a pipeline can fetch it from the tracker it reports to. */
export const reporterScript = new Hono<AppEnv>().get("/report-deploy.sh", (c) =>
	c.body(reporter, 200, {
		"Content-Type": "text/x-shellscript; charset=utf-8",
		"Cache-Control": "public, max-age=300",
		"X-Content-Type-Options": "nosniff",
	}),
);
