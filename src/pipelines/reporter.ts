import { describeRoute } from "hono-openapi";
import reporter from "../../scripts/report-deploy.sh";
import { allow } from "../access/guard";
import { factory } from "../factory";

/** The reporter script, so a pipeline can fetch it from the tracker it reports to. */
export const reporterScript = factory.createApp().get(
	"/report-deploy.sh",
	allow("anyone"),
	describeRoute({
		tags: ["Webhook"],
		summary: "The deploy reporter script (POSIX sh + curl): `curl -fsSL …/report-deploy.sh | sh -s -- --help`",
		security: [],
		responses: { 200: { description: "The script", content: { "text/x-shellscript": {} } } },
	}),
	(c) =>
		c.body(reporter, 200, {
			"Content-Type": "text/x-shellscript; charset=utf-8",
			"Cache-Control": "public, max-age=300",
			"X-Content-Type-Options": "nosniff",
		}),
);
