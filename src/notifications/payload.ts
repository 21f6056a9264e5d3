import { z } from "zod";
import type { NotifiedDeploy } from "../db/notifications";
import { formatDatetime } from "../http/datetime";
import { isoTime } from "../http/openapi";
import { NOTIFICATION_EVENTS, type NotificationEvent } from "../model/notification";
import { STATUSES } from "../model/status";

/**
 * What every destination is sent about a deploy: the Standard Webhooks
 * envelope (`type`, `timestamp`, `data`) around the deploy as the API names
 * its fields. The OpenAPI document lists it under `webhooks`; the README
 * ("Notifications") shows an example.
 */
export const notificationPayload = z
	.object({
		type: z.enum(NOTIFICATION_EVENTS),
		timestamp: isoTime.describe("When the event was made"),
		data: z.object({
			id: z.string(),
			service: z
				.object({ id: z.string(), name: z.string() })
				.nullable()
				.describe("Null while no service claims the alias"),
			alias: z.string().describe("The service name the pipeline sent"),
			environment: z.string().nullable(),
			number: z.string(),
			status: z.enum(STATUSES),
			rollback: z.boolean().describe("It returns its stream to an earlier sha"),
			deployer: z.object({ name: z.string().nullable(), email: z.string().nullable() }),
			commit: z.object({ sha: z.string().nullable(), branch: z.string().nullable(), message: z.string().nullable() }),
			deployed_at: isoTime,
			links: z.object({
				deploy: z.string().describe("The deploy's page on this tracker"),
				pipeline: z.string().nullable().describe("The pipeline run, as the pipeline sent it"),
			}),
		}),
	})
	// No `id`: an id would move the schema under `$defs`, which a `$ref` inside the OpenAPI document cannot reach.
	.describe("A deploy event");
export type NotificationPayload = z.infer<typeof notificationPayload>;

export function payload(
	type: NotificationEvent,
	deploy: NotifiedDeploy,
	origin: string,
	at: number,
): NotificationPayload {
	return {
		type,
		timestamp: formatDatetime(at),
		data: {
			id: deploy.id,
			service: deploy.serviceId && deploy.serviceName ? { id: deploy.serviceId, name: deploy.serviceName } : null,
			alias: deploy.alias,
			environment: deploy.environment,
			number: deploy.number,
			status: deploy.status,
			rollback: deploy.isRollback === 1,
			deployer: { name: deploy.deployerName, email: deploy.deployerEmail },
			commit: { sha: deploy.commitSha, branch: deploy.commitBranch, message: deploy.commitMessage },
			deployed_at: formatDatetime(deploy.deployedAt),
			links: { deploy: `${origin}/deploys/${deploy.id}`, pipeline: deploy.deployUrl },
		},
	};
}

const HEADLINES: Record<NotificationEvent, string> = {
	"deploy.recorded": "Deploy recorded",
	"deploy.status_changed": "Deploy status changed",
	"deploy.failed": "Deploy failed",
	"deploy.rolled_back": "Rollback deployed",
};

/** Slack's mrkdwn treats these three as markup; everything a pipeline sent is escaped. */
const mrkdwn = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** A URL inside Slack's `<url|label>`: escaped, and a `|` encoded so it cannot end the URL early. */
const href = (url: string) => mrkdwn(url).replace(/\|/g, "%7C");

/** The one-line summary of a commit: its short sha, branch and first line. */
function commitLine({ sha, branch, message }: NotificationPayload["data"]["commit"]): string | undefined {
	const parts = [
		sha && `\`${sha.slice(0, 7)}\``,
		branch && `on ${mrkdwn(branch)}`,
		message && mrkdwn(message.split("\n")[0] ?? ""),
	];
	const line = parts.filter(Boolean).join(" ");
	return line || undefined;
}

/**
 * A Slack incoming-webhook message: a headline that reads alone in a
 * notification (service, environment, number, status), then who and which
 * commit, with links to the deploy here and to its pipeline.
 */
export function slackMessage({ type, data }: NotificationPayload): { text: string; blocks: unknown[] } {
	const service = mrkdwn(data.service?.name ?? data.alias);
	const where = data.environment ? ` to ${mrkdwn(data.environment)}` : "";
	const text = `${HEADLINES[type]}: ${service} #${mrkdwn(data.number)}${where}: ${data.status}`;
	const who = data.deployer.name ?? data.deployer.email;
	const lines = [
		`*${HEADLINES[type]}*: <${href(data.links.deploy)}|${service} #${mrkdwn(data.number)}>${where}, *${data.status}*`,
		who ? `By ${mrkdwn(who)}` : undefined,
		commitLine(data.commit),
		data.links.pipeline ? `<${href(data.links.pipeline)}|Pipeline run>` : undefined,
	];
	const body = lines.filter(Boolean).join("\n");
	return { text, blocks: [{ type: "section", text: { type: "mrkdwn", text: body } }] };
}
