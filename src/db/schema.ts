import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { PRINCIPAL_KINDS } from "../model/roles";
import { STATUSES } from "../model/status";
import { teams } from "./teams-schema";

export * from "./access-schema";
export * from "./changes-schema";
export * from "./metrics-schema";
export * from "./teams-schema";

// Times are epoch milliseconds (UTC): they sort and subtract in SQL, and the
// API turns them into ISO 8601 at the edge.

/** The tools an integration can be set up for; each gets its own ready-made snippet. */
export const INTEGRATION_KINDS = [
	"deploy",
	"github_actions",
	"gitlab_ci",
	"jenkins",
	"octopus",
	"circleci",
	"github",
	"argocd",
	"flux",
] as const;
export type IntegrationKind = (typeof INTEGRATION_KINDS)[number];

/** A source of deploys: one secret webhook URL, one ledger Durable Object. */
export const integrations = sqliteTable(
	"integrations",
	{
		id: text().primaryKey(),
		name: text().notNull(),
		/** The tool that posts to it: it only chooses which setup instructions to show. */
		kind: text({ enum: INTEGRATION_KINDS }).notNull().default("deploy"),
		/** The secret in the webhook URL; distinct from `id` so the id can be shown and logged. */
		webhookToken: text("webhook_token").notNull(),
		/**
		 * A `github` integration's webhook secret, which GitHub signs each delivery with
		 * (HMAC needs the key itself, so it is kept as is); null for the other kinds.
		 * Shown once, when set; never logged, listed or audited.
		 */
		signingSecret: text("signing_secret"),
		createdAt: integer("created_at").notNull(),
		revokedAt: integer("revoked_at"),
	},
	(t) => [uniqueIndex("integrations_webhook_token_unique").on(t.webhookToken)],
);

/**
 * Webhook URLs an integration used before its latest rotation, accepted until
 * `expires_at` so pipelines can move to the new URL without losing a deploy.
 */
export const retiredWebhookTokens = sqliteTable(
	"retired_webhook_tokens",
	{
		token: text().primaryKey(),
		integrationId: text("integration_id")
			.notNull()
			.references(() => integrations.id),
		retiredAt: integer("retired_at").notNull(),
		expiresAt: integer("expires_at").notNull(),
	},
	(t) => [index("retired_webhook_tokens_integration_idx").on(t.integrationId, t.expiresAt)],
);

export const services = sqliteTable(
	"services",
	{
		id: text().primaryKey(),
		name: text().notNull(),
		createdAt: integer("created_at").notNull(),
		/** The team that owns it, if any; deleting the team leaves it unowned. */
		teamId: text("team_id").references(() => teams.id, { onDelete: "set null" }),
		/** Hidden from lists while set; its aliases still match and its deploys stay visible. */
		archivedAt: integer("archived_at"),
		/**
		 * Set when the service was merged into another: a tombstone that leads
		 * links there. Always the final service: merging that one on rewrites it.
		 */
		mergedInto: text("merged_into"),
	},
	(t) => [
		uniqueIndex("services_name_unique").on(sql`lower(${t.name})`),
		// Filters by team find the team's services by this, then each one's deploys by their own index.
		index("services_team_idx").on(t.teamId),
		index("services_merged_into_idx").on(t.mergedInto),
	],
);

/** Names pipelines use for a service. `key` is the alias trimmed and lower-cased: matching ignores case. */
export const aliases = sqliteTable(
	"aliases",
	{
		key: text().primaryKey(),
		alias: text().notNull(),
		serviceId: text("service_id")
			.notNull()
			.references(() => services.id, { onDelete: "cascade" }),
		createdAt: integer("created_at").notNull(),
	},
	(t) => [index("aliases_service_id_idx").on(t.serviceId)],
);

/**
 * An alias that deploys arrived under before any service claimed it. `open`
 * until someone accepts it (a new service), attaches it (to an existing one)
 * or ignores it. Counts are derived from `deploys`, so retries cannot inflate them.
 */
export const suggestions = sqliteTable("suggestions", {
	id: text().primaryKey(),
	aliasKey: text("alias_key").notNull().unique(),
	alias: text().notNull(),
	state: text({ enum: ["open", "ignored", "resolved"] })
		.notNull()
		.default("open"),
	/** The service that took the alias, once resolved. */
	serviceId: text("service_id").references(() => services.id, { onDelete: "set null" }),
	/** Bumped by every action; see `suggestionEvents`. */
	version: integer().notNull().default(0),
	createdAt: integer("created_at").notNull(),
});

/**
 * What was done to a suggestion, one row per version. The primary key makes
 * actions on one version mutually exclusive: of two racing, one inserts its
 * row and the other fails the unique check, so its whole batch rolls back.
 */
export const suggestionEvents = sqliteTable(
	"suggestion_events",
	{
		suggestionId: text("suggestion_id")
			.notNull()
			.references(() => suggestions.id, { onDelete: "cascade" }),
		version: integer().notNull(),
		action: text({ enum: ["accept", "attach", "ignore", "unignore", "claim"] }).notNull(),
		serviceId: text("service_id"),
		at: integer().notNull(),
	},
	(t) => [primaryKey({ columns: [t.suggestionId, t.version] })],
);

/** A deployer known by e-mail (stored lower-cased: one person however the pipeline spells it). */
export const people = sqliteTable("people", {
	id: text().primaryKey(),
	email: text().notNull().unique(),
	name: text(),
	createdAt: integer("created_at").notNull(),
});

export const deploys = sqliteTable(
	"deploys",
	{
		id: text().primaryKey(),
		integrationId: text("integration_id")
			.notNull()
			.references(() => integrations.id),
		serviceId: text("service_id").references(() => services.id, { onDelete: "set null" }),
		serviceAlias: text("service_alias").notNull(),
		aliasKey: text("alias_key").notNull(),
		/** As the pipeline spelled it (trimmed); shown on each deploy. */
		environment: text(),
		/**
		 * `environment` trimmed and lower-cased (see model/environment.ts): what
		 * filters, streams and groupings compare, so `Production` and
		 * `production` are one environment. Null when the deploy named none.
		 */
		environmentKey: text("environment_key"),
		description: text().notNull(),
		deployedAt: integer("deployed_at").notNull(),
		deployNumber: text("deploy_number").notNull(),
		deployUrl: text("deploy_url"),
		dedupId: text("dedup_id"),
		/** Normalized (see model/status.ts); `status_raw` keeps what the pipeline said. */
		status: text({ enum: STATUSES }).notNull().default("no_status"),
		statusRaw: text("status_raw"),
		agent: text(),
		personId: text("person_id").references(() => people.id),
		deployerId: text("deployer_id"),
		deployerEmail: text("deployer_email"),
		deployerName: text("deployer_name"),
		commitSha: text("commit_sha"),
		commitMessage: text("commit_message"),
		commitBranch: text("commit_branch"),
		commitDate: integer("commit_date"),
		committerName: text("committer_name"),
		committerEmail: text("committer_email"),
		authorName: text("author_name"),
		authorEmail: text("author_email"),
		authoringDate: integer("authoring_date"),
		receivedAt: integer("received_at").notNull(),
		/**
		 * Description and commit message, lower-cased in JavaScript: SQLite's
		 * LIKE and lower() fold ASCII letters only, and pipelines write in any language.
		 */
		searchText: text("search_text").notNull(),
		/** Derived, kept by db/facts.ts: 1 when this deploy returns its stream to a superseded sha. */
		isRollback: integer("is_rollback").notNull().default(0),
		/** Derived, kept by db/facts.ts: for a failure, when the next success in its stream was deployed. */
		restoredAt: integer("restored_at"),
	},
	(t) => [
		// The database's own guard against a duplicate, beside the ledger's.
		uniqueIndex("deploys_integration_dedup_unique").on(t.integrationId, t.dedupId),
		// Keyset pagination, newest first; `id` is a UUIDv7, so it breaks ties by arrival.
		// D1 bills each index entry a deploy writes as a row written, so an index is kept only where
		// its filter would otherwise read far beyond a page (see "Performance and cost" in the README).
		// Status has none: its few values are each common, so a list by status walks the newest-first
		// index below and stops at a page, and a status change rewrites only the row.
		index("deploys_deployed_at_idx").on(t.deployedAt, t.id),
		index("deploys_service_deployed_at_idx").on(t.serviceId, t.deployedAt, t.id),
		index("deploys_service_environment_idx").on(t.serviceId, t.environmentKey, t.deployedAt, t.id),
		index("deploys_alias_deployed_at_idx").on(t.aliasKey, t.deployedAt, t.id),
		index("deploys_integration_deployed_at_idx").on(t.integrationId, t.deployedAt, t.id),
		index("deploys_person_deployed_at_idx").on(t.personId, t.deployedAt, t.id),
		index("deploys_environment_deployed_at_idx").on(t.environmentKey, t.deployedAt, t.id),
		// A sha, then its stream: `sha=` prefixes, and the metrics' rollback check, which must
		// not read other services' deploys of the same sha (a monorepo release shares one).
		index("deploys_commit_sha_idx").on(t.commitSha, t.serviceId, t.environmentKey, t.deployedAt, t.id),
	],
);

/** Each status a deploy reached, with when it was reported. */
export const deployStatuses = sqliteTable(
	"deploy_statuses",
	{
		deployId: text("deploy_id")
			.notNull()
			.references(() => deploys.id, { onDelete: "cascade" }),
		status: text({ enum: STATUSES }).notNull(),
		raw: text().notNull(),
		at: integer().notNull(),
	},
	(t) => [primaryKey({ columns: [t.deployId, t.status] })],
);

export type IntegrationRow = typeof integrations.$inferSelect;
export type ServiceRow = typeof services.$inferSelect;

/**
 * Who changed what, when: one row per management action, written in the same
 * D1 batch as the change itself, so neither exists without the other.
 */
export const auditEvents = sqliteTable(
	"audit_events",
	{
		id: text().primaryKey(),
		at: integer().notNull(),
		/** How the change came in: `api` (bearer token) or `ui` (a signed-in browser). */
		via: text({ enum: ["api", "ui"] }).notNull(),
		/** Which admin token was presented: `current`, or `previous` during a rotation; null for anyone else. */
		credential: text({ enum: ["current", "previous"] }),
		/** Who made the change; every event before people signed in as themselves was the admin token's. */
		actorKind: text("actor_kind", { enum: PRINCIPAL_KINDS }).notNull().default("admin-token"),
		/** How the actor is named (see access/principal.ts's principalName): an email, a token's name; never a secret. */
		actorName: text("actor_name"),
		/** The client's address as Cloudflare saw it, when known. */
		ip: text(),
		action: text().notNull(),
		targetType: text("target_type").notNull(),
		targetId: text("target_id").notNull(),
		/** A JSON object with what the action was given (names, aliases, grace periods). */
		details: text(),
	},
	(t) => [
		index("audit_events_at_idx").on(t.at, t.id),
		index("audit_events_target_idx").on(t.targetType, t.targetId, t.at, t.id),
	],
);
export type AuditEventRow = typeof auditEvents.$inferSelect;

/**
 * Settings the team changes from the UI or the API, one row per key, the value
 * JSON (each key's shape is its domain module's, e.g. catalog/settings.ts).
 * Read by primary key only: a setting costs one seek.
 */
export const settings = sqliteTable("settings", {
	key: text().primaryKey(),
	value: text().notNull(),
	updatedAt: integer("updated_at").notNull(),
});
export type SettingRow = typeof settings.$inferSelect;
