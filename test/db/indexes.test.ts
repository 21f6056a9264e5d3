import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { database } from "../../src/db/client";
import { countDeploysStatement, type DeployFilter, listDeploys } from "../../src/db/deploys";
import { type IncidentScope, incidentStatement } from "../../src/db/incidents";
import { liveIntegrationsWithActivity } from "../../src/db/integrations";
import { listPeople } from "../../src/db/people";
import { expiredDeliveries } from "../../src/db/retention";
import { listSuggestions } from "../../src/db/suggestions";

/**
 * Which index each filter of the deploy list walks. D1 bills every index entry
 * a deploy writes as a row written, so the deploys table keeps an index only
 * where a filter would otherwise read far beyond a page; these plans show that
 * each filter still walks one, in the list's own order where it can (no sort,
 * so the walk stops at a page). Status has no index of its own: alone it walks
 * the newest-first index, beside any other filter that filter's index.
 */

type Filter = Omit<DeployFilter, "limit">;

const plan = async (statement: { toSQL(): { sql: string; params: unknown[] } }) => {
	const { sql, params } = statement.toSQL();
	const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
		.bind(...params)
		.all<{ detail: string }>();
	return results.map((r) => r.detail);
};

/** How the list reaches its deploys: the line of the plan about `deploys`, and whether it sorts afterwards. */
async function listPlan(filter: Filter) {
	const details = await plan(listDeploys(database(env.DB), { ...filter, limit: 51 }));
	return {
		deploys: details.filter((d) => / deploys /.test(d)).map((d) => d.replace(/ \(.*/, "")),
		sorts: details.includes("USE TEMP B-TREE FOR ORDER BY"),
	};
}

const walk = (index: string) => ({ deploys: [`SCAN deploys USING INDEX ${index}`], sorts: false });
const seek = (index: string, sorts = false) => ({ deploys: [`SEARCH deploys USING INDEX ${index}`], sorts });

const FILTERS: [string, Filter, Awaited<ReturnType<typeof listPlan>>][] = [
	["nothing", {}, walk("deploys_deployed_at_idx")],
	["a status", { status: "failure" }, walk("deploys_deployed_at_idx")],
	["a status and text", { status: "failure", text: "fix" }, walk("deploys_deployed_at_idx")],
	["a status and dates", { status: "failure", from: 1, to: 2 }, seek("deploys_deployed_at_idx")],
	[
		"a status, from a page's end",
		{ status: "failure", before: { deployedAt: 1, id: "x" } },
		seek("deploys_deployed_at_idx"),
	],
	["a service", { serviceId: "s" }, seek("deploys_service_deployed_at_idx")],
	["a service and a status", { serviceId: "s", status: "failure" }, seek("deploys_service_deployed_at_idx")],
	[
		"a service and an environment",
		{ serviceId: "s", environment: "Production" },
		seek("deploys_service_environment_idx"),
	],
	["an environment", { environment: "Production" }, seek("deploys_environment_deployed_at_idx")],
	[
		"an environment and a status",
		{ environment: "Production", status: "failure" },
		seek("deploys_environment_deployed_at_idx"),
	],
	["an alias", { aliasKey: "a" }, seek("deploys_alias_deployed_at_idx")],
	["an integration", { integrationId: "i" }, seek("deploys_integration_deployed_at_idx")],
	[
		"an integration and a status",
		{ integrationId: "i", status: "failure" },
		seek("deploys_integration_deployed_at_idx"),
	],
	["a deployer", { deployerEmail: "a@example.com" }, seek("deploys_person_deployed_at_idx")],
	[
		"a deployer and a status",
		{ deployerEmail: "a@example.com", status: "failure" },
		seek("deploys_person_deployed_at_idx"),
	],
	// A sha prefix matches a handful of deploys: they are sorted once found.
	["a sha", { commitSha: "38d0" }, seek("deploys_commit_sha_idx", true)],
	// Each of the team's services on its own index, merged by a sort (as before: a team is a few services).
	["a team", { teamId: "t" }, seek("deploys_service_deployed_at_idx", true)],
];

describe("the deploy list", () => {
	it.each(FILTERS)("by %s walks an index", async (_, filter, expected) => {
		expect(await listPlan(filter)).toEqual(expected);
	});
});

describe("the deploy list's count", () => {
	it.each(FILTERS.filter(([, f, { deploys }]) => f.status === undefined && deploys[0]?.startsWith("SEARCH")))(
		"by %s seeks the same index",
		async (_, filter, expected) => {
			const details = await plan(countDeploysStatement(database(env.DB), filter, 1_000));
			const index = expected.deploys[0]?.replace(/.* INDEX /, "") ?? "";
			expect(details.filter((d) => / deploys /.test(d)).join("\n")).toMatch(new RegExp(`INDEX ${index}\\b`));
		},
	);

	// Without an order to keep, SQLite reads the table itself rather than an index and the rows it
	// points to; the count stops at its cap's worth of matches either way, as the list stops at a page.
	it("by a status alone reads the table until its cap", async () => {
		const details = await plan(countDeploysStatement(database(env.DB), { status: "failure" }, 1_000));
		expect(details).toEqual(["CO-ROUTINE matches", "SCAN deploys", "SCAN matches"]);
	});
});

/** The indexes on `deploys` a statement's plan uses. */
async function indexesUsed(statement: { toSQL(): { sql: string; params: unknown[] } }) {
	const details = await plan(statement);
	expect(details.filter((d) => /^SCAN (deploys|d)\b(?! USING)/.test(d))).toEqual([]);
	return [...new Set(details.flatMap((d) => d.match(/deploys_\w+_idx/g) ?? []))];
}

describe("the other readers of the deploy indexes", () => {
	it("the integrations page finds each integration's activity on its own index", async () => {
		expect(await indexesUsed(liveIntegrationsWithActivity(database(env.DB)))).toEqual([
			"deploys_integration_deployed_at_idx",
		]);
	});

	it("the people list counts each person's deploys on theirs", async () => {
		expect(await indexesUsed(listPeople(database(env.DB)))).toEqual(["deploys_person_deployed_at_idx"]);
	});

	it("suggestions gather an alias's deploys on the alias's", async () => {
		expect(await indexesUsed(listSuggestions(database(env.DB), "open"))).toEqual(["deploys_alias_deployed_at_idx"]);
	});
});

describe("the incident figures", () => {
	const planOf = async (scope: Omit<IncidentScope, "from" | "to">) => {
		const { sql, params } = incidentStatement(database(env.DB), { ...scope, from: 1, to: 2 }, 3).getQuery();
		const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
			.bind(...params)
			.all<{ detail: string }>();
		return [...new Set(results.map((r) => r.detail.replace(/ \(.*/, "")).filter((d) => /^(SCAN|SEARCH)/.test(d)))];
	};

	it.each([
		["a service", { serviceId: "s" }, "incidents_service_started_idx", "incidents_service_resolved_idx"],
		["the organisation", {}, "incidents_started_idx", "incidents_resolved_idx"],
		["an environment", { environmentKey: "production" }, "incidents_started_idx", "incidents_resolved_idx"],
	])(
		"for %s seek the window's incidents, and each one's blamed deploy, never scanning",
		async (_, scope, started, resolved) => {
			const details = await planOf(scope);
			expect(details.filter((d) => d.startsWith("SCAN"))).toEqual([]);
			expect(details).toEqual(
				expect.arrayContaining([
					`SEARCH i USING INDEX ${started}`,
					`SEARCH i USING INDEX ${resolved}`,
					"SEARCH d USING INDEX deploys_service_environment_idx",
					"SEARCH d USING INDEX sqlite_autoindex_deploys_1",
				]),
			);
		},
	);
});

describe("the retention purge", () => {
	it("seeks each subscription's expired deliveries on its index, never reading the whole log", async () => {
		expect(await plan(expiredDeliveries(database(env.DB), Date.now(), 500))).toEqual([
			"SEARCH deliveries USING INDEX deliveries_subscription_idx (subscription_id=? AND created_at<?)",
			"USING INDEX sqlite_autoindex_subscriptions_1 FOR IN-OPERATOR",
		]);
	});
});
