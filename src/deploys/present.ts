import { z } from "zod";
import type { ListedDeploy } from "../db/deploys";
import { formatDatetime, formatOptionalDatetime } from "../http/datetime";
import { isoTime } from "../http/openapi";
import { STATUSES } from "../model/status";

const text = z.string().nullable();
const time = isoTime.nullable();

/** A deploy as the API shows it: `presentDeploy` builds it (the types hold them together), the OpenAPI document describes it, and the CSV export flattens it. */
export const deploySchema = z
	.object({
		id: z.string(),
		integration_id: z.string(),
		service: z.object({ id: z.string(), name: z.string() }).nullable(),
		service_alias: z.string(),
		environment: text,
		description: z.string(),
		deployed_at: isoTime,
		deploy_number: z.string(),
		deploy_url: text,
		dedup_id: text,
		status: z.enum(STATUSES),
		status_raw: text,
		agent: text,
		deployer: z.object({ id: text, email: text, name: text, person_id: text }),
		commit: z
			.object({
				sha: text,
				message: text,
				branch: text,
				date: time,
				committer_name: text,
				committer_email: text,
				author_name: text,
				author_email: text,
				authoring_date: time,
			})
			.nullable(),
		received_at: isoTime,
	})
	.meta({ id: "Deploy" });

export function presentDeploy({ deploy: d, serviceName }: ListedDeploy): z.output<typeof deploySchema> {
	const commit = {
		sha: d.commitSha,
		message: d.commitMessage,
		branch: d.commitBranch,
		date: formatOptionalDatetime(d.commitDate),
		committer_name: d.committerName,
		committer_email: d.committerEmail,
		author_name: d.authorName,
		author_email: d.authorEmail,
		authoring_date: formatOptionalDatetime(d.authoringDate),
	};
	return {
		id: d.id,
		integration_id: d.integrationId,
		service: d.serviceId && serviceName !== null ? { id: d.serviceId, name: serviceName } : null,
		service_alias: d.serviceAlias,
		environment: d.environment,
		description: d.description,
		deployed_at: formatDatetime(d.deployedAt),
		deploy_number: d.deployNumber,
		deploy_url: d.deployUrl,
		dedup_id: d.dedupId,
		status: d.status,
		status_raw: d.statusRaw,
		agent: d.agent,
		deployer: { id: d.deployerId, email: d.deployerEmail, name: d.deployerName, person_id: d.personId },
		commit: Object.values(commit).some((v) => v !== null) ? commit : null,
		received_at: formatDatetime(d.receivedAt),
	};
}
