import { type SQL, sql } from "drizzle-orm";
import type { Database, Statement } from "./client";
import { deploys } from "./schema";

/**
 * Each deploy's own DORA facts, kept on its row so the metrics read a window's
 * deploys once (see metrics.ts and the README's "DORA metrics"):
 * `is_rollback`, whether it returns its stream to a superseded sha, and
 * `restored_at`, for a failure, when the next success in its stream was
 * deployed. Both follow from the stream's other deploys, so whatever adds a
 * deploy to a stream, or changes a deploy's status or stream, refreshes the
 * deploys whose facts that can change, in the same batch. A fact is computed
 * from the deploys' own columns, never from another fact, so refreshing in any
 * order, or twice, gives the same answer.
 *
 * Deleting deploys (retention) refreshes nothing: a rollback stays one, and a
 * failure keeps its restore, after the deploys that made them so are purged.
 */

/** The two kinds of stream, each walked through its own index: a service's, and an unclaimed alias's. */
const KINDS = ["service", "alias"] as const;
type Kind = (typeof KINDS)[number];

/** `row` (a name in scope) has a stream of `kind`. */
const isKind = (kind: Kind, row: string) =>
	kind === "service" ? sql`${sql.raw(row)}.service_id is not null` : sql`${sql.raw(row)}.service_id is null`;

/**
 * `s` is a deploy of the stream of `row`, given that stream's kind: by
 * (service_id, environment_key, deployed_at, id) for a service, by (alias_key,
 * deployed_at, id) for an unclaimed alias. A unary `+` keeps SQLite from
 * choosing another index by that column (status, say, which would walk every
 * service's deploys).
 */
function sameStream(kind: Kind, s: string, row: string) {
	const [d, r] = [sql.raw(s), sql.raw(row)];
	return kind === "service"
		? sql`${d}.service_id = ${r}.service_id and ${d}.environment_key is ${r}.environment_key`
		: sql`${d}.alias_key = ${r}.alias_key and +${d}.service_id is null and +${d}.environment_key is ${r}.environment_key`;
}

/** `lookup`, a scalar subquery over `s`, restricted to the stream of `row`, whichever its kind. */
function inStream(row: string, lookup: (sameStream: SQL) => SQL) {
	return sql`(case when ${isKind("service", row)} then ${lookup(sameStream("service", "s", row))}
		else ${lookup(sameStream("alias", "s", row))} end)`;
}

/** SQLite's smallest integer: earlier than any `deployed_at`. */
const FAR_PAST = sql.raw("-9223372036854775808");

/** Whether the row named `row` is a rollback: its sha differs from the one its stream ran just before, and its stream ran it earlier. */
function rollback(row: string) {
	const r = sql.raw(row);
	const previousSha = inStream(
		row,
		(sameStream) => sql`(select s.commit_sha from deploys s
			where ${sameStream} and s.commit_sha is not null and (s.deployed_at, s.id) < (${r}.deployed_at, ${r}.id)
			order by s.deployed_at desc, s.id desc limit 1)`,
	);
	return sql`coalesce(${r}.commit_sha is not null and ${previousSha} <> ${r}.commit_sha and ${earlierSameSha(row)}, 0)`;
}

/**
 * Whether the stream of the row named `row` ran its sha before it. A service's
 * stream is sought by sha: its own index would walk all its history for every
 * new sha. An unclaimed alias's is walked on its own index: the sha's would
 * walk every unclaimed alias that deployed the sha (a monorepo's release).
 */
function earlierSameSha(row: string) {
	const r = sql.raw(row);
	const before = sql`(s.deployed_at, s.id) < (${r}.deployed_at, ${r}.id)`;
	return sql`(case when ${isKind("service", row)}
		then exists (select 1 from deploys s indexed by deploys_commit_sha_idx
			where s.commit_sha = ${r}.commit_sha and s.service_id = ${r}.service_id
				and s.environment_key is ${r}.environment_key and ${before})
		else exists (select 1 from deploys s
			where ${sameStream("alias", "s", row)} and +s.commit_sha = ${r}.commit_sha and ${before})
	end)`;
}

/** For a failed row named `row`, when the first success after it in its stream was deployed (however long after); else null. */
function restoredAt(row: string) {
	const r = sql.raw(row);
	const nextSuccess = inStream(
		row,
		(sameStream) => sql`(select s.deployed_at from deploys s
			where ${sameStream} and +s.status = 'success' and (s.deployed_at, s.id) > (${r}.deployed_at, ${r}.id)
			order by s.deployed_at, s.id limit 1)`,
	);
	return sql`(case when ${r}.status = 'failure' then ${nextSuccess} end)`;
}

/**
 * Recomputes the facts of the deploys `which` selects (a condition on
 * `deploys`), writing only the rows whose facts change: D1 bills each row written.
 */
function refresh(db: Database, which: SQL): Statement {
	const [isRollback, restored] = [rollback("deploys"), restoredAt("deploys")];
	return db
		.update(deploys)
		.set({ isRollback: isRollback, restoredAt: restored })
		.where(sql`${which} and (deploys.is_rollback is not ${isRollback} or deploys.restored_at is not ${restored})`);
}

/**
 * After deploy `id` was inserted or changed status (`writeDeploys`): its own
 * facts, and those of the neighbours it can change, each found by an index seek.
 * - The next deploy with a sha in its stream: the sha that ran before it may now be this one's.
 * - Later deploys of the same sha in its stream: they may now return to it.
 * - If it succeeded, the failures since the stream's last success before it: it may restore them sooner.
 * Nothing else in the stream can change: the deploys between those keep their neighbours.
 */
export function refreshDeploy(db: Database, id: string): Statement {
	const nextWithSha = inStream(
		"e",
		(sameStream) => sql`(select s.id from deploys s
			where ${sameStream} and s.commit_sha is not null and (s.deployed_at, s.id) > (e.deployed_at, e.id)
			order by s.deployed_at, s.id limit 1)`,
	);
	// As `earlierSameSha`: a service's by sha, an unclaimed alias's on its own index.
	const laterSameSha = (kind: Kind) => sql`select s.id from deploys e, deploys s${
		kind === "service" ? sql` indexed by deploys_commit_sha_idx` : sql``
	}
		where e.id = ${id} and ${isKind(kind, "e")} and ${sameStream(kind, "s", "e")}
			and ${kind === "service" ? sql`s.commit_sha` : sql`+s.commit_sha`} = e.commit_sha
			and (s.deployed_at, s.id) > (e.deployed_at, e.id)`;
	// Failures since the stream's previous success: ties at its time included, as refreshing more is harmless.
	const restoredBy = (kind: Kind) => sql`select s.id from deploys e, deploys s
		where e.id = ${id} and e.status = 'success' and ${isKind(kind, "e")} and ${sameStream(kind, "s", "e")}
			and +s.status = 'failure' and (s.deployed_at, s.id) < (e.deployed_at, e.id)
			and s.deployed_at >= coalesce((select p.deployed_at from deploys p
				where ${sameStream(kind, "p", "e")} and +p.status = 'success' and (p.deployed_at, p.id) < (e.deployed_at, e.id)
				order by p.deployed_at desc, p.id desc limit 1), ${FAR_PAST})`;
	return refresh(
		db,
		// D1 allows five terms in a compound SELECT.
		sql`(deploys.id = ${id} or deploys.id in (
			select ${nextWithSha} from deploys e where e.id = ${id}
			union ${laterSameSha("service")}
			union ${laterSameSha("alias")}
			union ${restoredBy("service")}
			union ${restoredBy("alias")}
		))`,
	);
}

/** Streams named by owner: services (each in every environment) and unclaimed aliases (by key). */
export type Streams = { serviceIds?: readonly string[]; aliasKeys?: readonly string[] };

/**
 * The statements that refresh the facts of every deploy in these streams, for
 * a batch that moves deploys between streams (changes their `service_id` or
 * `environment_key`). Put them after the move, and name both sides: every
 * service that deploys left or joined, and every alias whose deploys left or
 * joined the unclaimed. So: moving an alias with its deploys, the old owner
 * and the new (`moveAliasStatements`); claiming aliases, the claiming service
 * (`claimAliases`); merging B into A, A, which B's deploys joined and B, left
 * with none (`mergeStatements`). Deleting a service moves no deploys: it has
 * none, or they are deleted with it. Each deploy costs a few index seeks; only
 * the rows whose facts change are written.
 */
export function refreshStreams(db: Database, { serviceIds = [], aliasKeys = [] }: Streams): Statement[] {
	const list = (values: readonly string[]) =>
		sql.join(
			values.map((v) => sql`${v}`),
			sql`, `,
		);
	return [
		...(serviceIds.length > 0 ? [refresh(db, sql`deploys.service_id in (${list(serviceIds)})`)] : []),
		...(aliasKeys.length > 0
			? [refresh(db, sql`deploys.alias_key in (${list(aliasKeys)}) and deploys.service_id is null`)]
			: []),
	];
}
