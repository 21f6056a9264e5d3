import { sql } from "drizzle-orm";
import type { LedgerEntry } from "../model/entry";
import { environmentKey } from "../model/environment";
import { aliasKey, type Statements } from "./catalog";
import type { Database } from "./client";
import { refreshDeploy } from "./facts";
import { newId } from "./ids";
import { aliases, deployStatuses, deploys, people, services, suggestions } from "./schema";
import { stage } from "./stages";

/**
 * Copies ledger entries into D1 as one atomic batch. Idempotent: a deploy is
 * keyed by its id (and the integration's dedup_id), so a retry after an
 * unknown outcome changes nothing. The service is looked up at write time, so
 * an alias claimed or moved while the deploy waited for D1 still links it.
 */
export async function writeDeploys(db: Database, [first, ...rest]: [LedgerEntry, ...LedgerEntry[]]): Promise<void> {
	const statements = deployStatements(db, first);
	for (const entry of rest) statements.push(...deployStatements(db, entry));
	await db.batch(statements);
}

function deployStatements(db: Database, entry: LedgerEntry): Statements {
	const { payload } = entry;
	const key = aliasKey(payload.service);
	const email = payload.deployer.email?.toLowerCase();
	const commit = payload.commit ?? {};
	const current = entry.statuses.at(-1);

	const person = email
		? db
				.insert(people)
				.values({ id: newId(entry.receivedAt), email, name: payload.deployer.name, createdAt: entry.receivedAt })
				.onConflictDoUpdate({
					target: people.email,
					set: { name: sql`coalesce(excluded.name, ${people.name})` },
					// A known person under the same name writes nothing: D1 bills each row written.
					setWhere: sql`excluded.name is not null and excluded.name is not ${people.name}`,
				})
		: undefined;

	// Deploys that matched no service at arrival make a suggestion (and those whose
	// service was deleted before they landed: see `orphanSuggestion`). Should the
	// alias be claimed before this lands, the deploy links to the service anyway
	// and the suggestion, with no unmatched deploys, is not listed. An alias that
	// was claimed once and then removed is suggested again (a new version, so an
	// action read before this loses its race).
	const suggestion =
		entry.serviceId === null
			? db
					.insert(suggestions)
					.values({ id: newId(entry.receivedAt), aliasKey: key, alias: payload.service, createdAt: entry.receivedAt })
					.onConflictDoUpdate(reopened(key))
			: orphanSuggestion(db, entry, key);

	// The owner now, if any: a move that landed while this deploy waited moves it
	// too. Failing that, the service it matched on arrival (if that still exists):
	// an alias removed meanwhile leaves its past deploys with the service.
	const matched =
		entry.serviceId && sql`(select ${services.id} from ${services} where ${services.id} = ${entry.serviceId})`;

	const deploy = db
		.insert(deploys)
		.values({
			id: entry.id,
			integrationId: entry.integrationId,
			serviceId: sql`coalesce((select ${aliases.serviceId} from ${aliases} where ${aliases.key} = ${key}), ${matched || null})`,
			serviceAlias: payload.service,
			aliasKey: key,
			environment: payload.environment,
			environmentKey: payload.environment === undefined ? undefined : environmentKey(payload.environment),
			description: payload.description,
			deployedAt: payload.deployed_at,
			deployNumber: entry.deployNumber,
			deployUrl: payload.deploy_url,
			dedupId: payload.dedup_id,
			status: current?.status ?? "no_status",
			statusRaw: current?.raw,
			agent: entry.agent,
			personId: email ? sql`(select ${people.id} from ${people} where ${people.email} = ${email})` : null,
			deployerId: payload.deployer.id,
			deployerEmail: payload.deployer.email,
			deployerName: payload.deployer.name,
			// Lower-cased, so `sha=` finds it however the pipeline spelled the hex.
			commitSha: commit.sha?.toLowerCase(),
			commitMessage: commit.message,
			commitBranch: commit.branch,
			commitDate: commit.date,
			committerName: commit.committer_name,
			committerEmail: commit.committer_email,
			authorName: commit.author_name,
			authorEmail: commit.author_email,
			authoringDate: commit.authoring_date,
			receivedAt: entry.receivedAt,
			searchText: [payload.description, commit.message].filter(Boolean).join("\n").toLowerCase(),
		})
		// A repeat delivery may carry a newer status; only a step forward is applied,
		// so deliveries landing out of order cannot move a deploy back.
		.onConflictDoUpdate({
			target: deploys.id,
			set: { status: sql`excluded.status`, statusRaw: sql`excluded.status_raw` },
			setWhere: sql`${stage(sql`excluded.status`)} > ${stage(deploys.status)}`,
		});

	const history =
		entry.statuses.length > 0
			? db
					.insert(deployStatuses)
					.values(entry.statuses.map((change) => ({ deployId: entry.id, ...change })))
					.onConflictDoNothing()
			: undefined;

	// Its rollback flag and restore, and its neighbours' (see facts.ts), once the row is in.
	const statements: Statements = [deploy, refreshDeploy(db, entry.id)];
	// The person goes first: the deploy's person_id subquery reads it.
	if (person) statements.unshift(person);
	if (history) statements.push(history);
	if (suggestion) statements.push(suggestion);
	return statements;
}

/** A suggestion met again: a resolved one opens anew unless the alias is claimed now. */
function reopened(key: string) {
	const owned = sql`exists (select 1 from ${aliases} where ${aliases.key} = ${key})`;
	return {
		target: suggestions.aliasKey,
		set: { state: "open" as const, serviceId: null, version: sql`${suggestions.version} + 1` },
		setWhere: sql`${suggestions.state} = 'resolved' and not ${owned}`,
	};
}

/**
 * The suggestion for a deploy that matched a service on arrival but landed
 * without one: the service was deleted (its aliases freed) while the deploy
 * waited for D1. It reads the deploy row just written, so it goes after it.
 */
function orphanSuggestion(db: Database, entry: LedgerEntry, key: string) {
	const landedUnmatched = sql`exists (select 1 from ${deploys} where ${deploys.id} = ${entry.id} and ${deploys.serviceId} is null)`;
	return db
		.insert(suggestions)
		.select(
			db
				.select({
					id: sql<string>`${newId(entry.receivedAt)}`.as("id"),
					aliasKey: sql<string>`${key}`.as("alias_key"),
					alias: sql<string>`${entry.payload.service}`.as("alias"),
					state: sql<"open">`'open'`.as("state"),
					serviceId: sql<null>`null`.as("service_id"),
					version: sql<number>`0`.as("version"),
					createdAt: sql<number>`${entry.receivedAt}`.as("created_at"),
				})
				.from(sql`(select 1)`)
				.where(landedUnmatched),
		)
		.onConflictDoUpdate(reopened(key));
}
