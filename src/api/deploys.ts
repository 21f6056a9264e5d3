import { eq } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { aliasKey, serviceIdForAlias } from "../db/catalog";
import { type Database, database } from "../db/client";
import { type ListedDeploy, listDeploys } from "../db/deploys";
import { services } from "../db/schema";
import type { AppEnv } from "../env";
import { decodeCursor, encodeCursor } from "../http/cursor";
import { formatDatetime } from "../http/datetime";
import { object, optional, optionalText, validate } from "../http/validation";

const MAX_LIMIT = 200;

const listQuery = object({
	service: optionalText({ max: 255 }),
	environment: optionalText({ max: 255 }),
	limit: optional(
		z.coerce
			.number({ error: "param must be a whole number" })
			.int({ error: "param must be a whole number" })
			.min(1, { error: `param must be between 1 and ${MAX_LIMIT}` })
			.max(MAX_LIMIT, { error: `param must be between 1 and ${MAX_LIMIT}` }),
	),
	cursor: optionalText({ max: 512 }),
});

const cursorKey = z.tuple([z.number().int(), z.string()]);

const iso = (ms: number | null) => (ms === null ? null : formatDatetime(ms));

export function presentDeploy({ deploy: d, serviceName }: ListedDeploy) {
	const commit = {
		sha: d.commitSha,
		message: d.commitMessage,
		branch: d.commitBranch,
		date: iso(d.commitDate),
		committer_name: d.committerName,
		committer_email: d.committerEmail,
		author_name: d.authorName,
		author_email: d.authorEmail,
		authoring_date: iso(d.authoringDate),
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

/** `service=` takes a service id or any alias; an alias of a service selects all that service's deploys. */
async function serviceFilter(db: Database, value: string) {
	const byId = await db.select({ id: services.id }).from(services).where(eq(services.id, value)).get();
	const serviceId = byId?.id ?? (await serviceIdForAlias(db, value));
	return serviceId ? { serviceId } : { aliasKey: aliasKey(value) };
}

export const deploysApi = new Hono<AppEnv>().get("/", async (c) => {
	const query = validate(listQuery, c.req.query());
	const db = database(c.env.DB);
	const limit = query.limit ?? 50;
	const before = query.cursor ? decodeCursor(query.cursor, cursorKey) : undefined;
	const rows = await listDeploys(db, {
		...(query.service ? await serviceFilter(db, query.service) : {}),
		environment: query.environment,
		before: before && { deployedAt: before[0], id: before[1] },
		limit: limit + 1,
	});
	const page = rows.slice(0, limit);
	const last = page.at(-1)?.deploy;
	return c.json({
		deploys: page.map(presentDeploy),
		next_cursor: rows.length > limit && last ? encodeCursor([last.deployedAt, last.id]) : null,
	});
});
