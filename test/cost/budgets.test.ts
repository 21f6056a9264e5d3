import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { type Cost, NO_COST, parseCostHeader } from "../../src/cost/meter";
import { ADMIN, api, call, examplePayload, type Integration, unique } from "../helpers";
import { signIn } from "../ui/helpers";

/**
 * Cost budgets. Each operation's cost is read from the `Cost` header the Worker
 * sends, measured twice: with 1,000 unrelated deploys stored, then with
 * 100,000. An index seek costs the same at both sizes; a scan does not. The
 * budgets themselves are the measured counts (see the README's Performance
 * section for what each row is), so any extra query or row read fails here.
 */

const DAY = 86_400_000;
const HOUR = 3_600_000;
const NOW = Date.now();

let integration: Integration;
/** A signed-in browser's cookie, for the pages. */
let session: Promise<string>;
/** The service the reads look at; its history stays fixed while the table grows. */
let service: { id: string; name: string };
/** The team that owns `service`. */
let team: { id: string };
/** A service merged into another: links to it redirect there. */
let merged: { id: string };
const alias = unique("budgeted");
/** Where the measured ingests go, so they do not change what the reads see. */
const ingestAlias = unique("ingested");

/** 200 other services, as in the benchmark's data set. */
async function addFillerServices() {
	await env.DB.prepare(
		`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 199)
		 INSERT INTO services (id, name, created_at) SELECT 'filler-' || i, 'Filler ' || i, ?1 FROM n`,
	)
		.bind(NOW)
		.run();
}

/** `count` deploys of the other services, in Production, over the last 180 days: rows a scan would have to read. */
async function addFiller(count: number) {
	await env.DB.prepare(
		`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
		 INSERT INTO deploys (id, integration_id, service_id, service_alias, alias_key, environment, environment_key, description,
			deployed_at, deploy_number, status, commit_sha, received_at, search_text)
		 SELECT lower(hex(randomblob(16))), ?2, 'filler-' || (i % 200), 'filler-' || (i % 200), 'filler-' || (i % 200),
			'Production', 'production', 'filler deploy', ?3 - (abs(random()) % (180 * ?4)), CAST(i AS TEXT),
			CASE WHEN i % 10 = 0 THEN 'failure' ELSE 'success' END, lower(hex(randomblob(20))), ?3, 'filler deploy'
		 FROM n`,
	)
		.bind(count, integration.id, NOW, DAY)
		.run();
}

/** A team owning the services with these ids. */
async function teamOwning(serviceIds: string[]) {
	const created = await call("/api/teams", {
		method: "POST",
		headers: ADMIN,
		body: JSON.stringify({ name: unique("Budgeted") }),
	});
	const owner = (await created.json()) as { id: string };
	for (const id of serviceIds) {
		await costOf(`/api/services/${id}/team`, {
			method: "PUT",
			headers: ADMIN,
			body: JSON.stringify({ team_id: owner.id }),
		});
	}
	return owner;
}

async function costOf(path: string, init: RequestInit = {}): Promise<Cost> {
	const response = await call(path, { redirect: "manual", ...init });
	expect(response.status, `${init.method ?? "GET"} ${path}`).toBeLessThan(400);
	await response.arrayBuffer();
	return parseCostHeader(response.headers.get("Cost") ?? "");
}

const strangers = unique("stranger");
let strangerCount = 0;
const webhook = () => new URL(integration.webhook_url).pathname;
const post = (body: unknown) => ({ method: "POST", body: JSON.stringify(body) });

/** Every operation under budget, measured once per table size. */
const operations: Record<string, () => Promise<Cost>> = {
	// Deployed now, as pipelines report: each lands at the end of its stream.
	"ingest, known service": () =>
		costOf(webhook(), post(examplePayload({ service: ingestAlias, deployed_at: new Date().toISOString() }))),
	// An alias and a commit of its own. Numbered, so each sorts in the same place at both sizes: its facts are
	// sought on the alias's and the sha's indexes (see db/facts.ts), and a seek's last step may read a row.
	"ingest, unknown alias": () => {
		const stranger = `${strangers}-${String(++strangerCount).padStart(4, "0")}`;
		return costOf(webhook(), post(examplePayload({ service: stranger, commit: { sha: stranger } })));
	},
	"ingest, duplicate": () => costOf(webhook(), post(examplePayload({ service: ingestAlias, dedup_id: "repeated" }))),
	"deploy list page": () => costOf("/api/deploys?limit=50", { headers: ADMIN }),
	"deploy list, one service and environment": () =>
		costOf(`/api/deploys?service=${service.id}&environment=Production&limit=50`, { headers: ADMIN }),
	"deploy list, one service by alias": () => costOf(`/api/deploys?service=${alias}&limit=50`, { headers: ADMIN }),
	"what runs where": () => costOf(`/api/services/${service.id}/environments`, { headers: ADMIN }),
	"metrics, 90 days": () =>
		costOf(`/api/metrics?service=${service.id}&from=${new Date(NOW - 90 * DAY).toISOString()}`, { headers: ADMIN }),
	"deploy list, one team": () => costOf(`/api/deploys?team=${team.id}&limit=50`, { headers: ADMIN }),
	"services, one team": () => costOf(`/api/services?team=${team.id}`, { headers: ADMIN }),
	"metrics, one team, 90 days": () =>
		costOf(`/api/metrics?team=${team.id}&from=${new Date(NOW - 90 * DAY).toISOString()}`, { headers: ADMIN }),
	settings: () => costOf("/api/settings", { headers: ADMIN }),
	"service page": async () => costOf(`/services/${service.id}`, { headers: { Cookie: await session } }),
	"team page": async () => costOf(`/teams/${team.id}`, { headers: { Cookie: await session } }),
	"services list, archived too": () => costOf("/api/services?archived=include", { headers: ADMIN }),
	"merged service's redirect": () => costOf(`/api/services/${merged.id}`, { headers: ADMIN }),
	"incidents, one service": () => costOf(`/api/incidents?service=${service.id}`, { headers: ADMIN }),
};

/**
 * The most each operation may cost: what it measured when the budget was set
 * (2026-11-28; ingest, metrics and the service page 2026-11-30). D1 counts
 * every index entry it writes as a row written, so a deploy's 11 rows written
 * are its row and its entries in the deploys table's primary key and nine other
 * indexes (a deployer known under the same name writes nothing); a new alias
 * adds its suggestion and that table's index entries.
 */
const BUDGET: Record<string, Cost> = {
	// Worker: nothing (the webhook URL is cached). Ledger: revoked and dedup checks,
	// the alias's owner read from D1 (its row and the owner's one alias: owners are
	// not remembered, since aliases move), the number (the service's and the alias's
	// sequences) and entry, then one D1 batch (person upsert, deploy insert, the refresh
	// of its metrics facts: its own and its neighbours', by index seeks, writing nothing
	// when none changes; and a check that the deploy landed with a service: else the
	// service was deleted while the deploy waited for D1, and its alias is suggested) and
	// marking the entry delivered. The deploy's daily rollup (metrics_days) is updated by a
	// trigger: one row written when its stream already deployed that day.
	"ingest, known service": cost(5, 25, 12, 1, 3, 7),
	// As above, the owner lookup finding nobody, plus the suggestion insert; the stream's
	// first deploy of the day inserts its rollup and that row's two index entries.
	"ingest, unknown alias": cost(5, 19, 17, 1, 1, 7),
	// The ledger answers from its own SQLite; D1 is not touched.
	"ingest, duplicate": cost(0, 0, 0, 1, 1, 0),
	// 51 deploys (a page and one more, to know if there is a next) and each one's service.
	"deploy list page": cost(1, 102, 0, 0, 0, 0),
	// The service lookup, then the page through (service_id, environment_key, deployed_at).
	"deploy list, one service and environment": cost(2, 8, 0, 0, 0, 0),
	// One query resolves the alias to its service (id or alias alike), then the page.
	"deploy list, one service by alias": cost(2, 12, 0, 0, 0, 0),
	// The service (and its team's row), then per environment one seek to find it, one for its latest
	// deploy and a walk back from there to the live one (here it is the latest), and those deploys' rows.
	"what runs where": cost(2, 32, 0, 0, 0, 0),
	// The service lookup and the incident window setting, then one batch of four statements: the window
	// and the 90 days before it, each reading the daily rollups of its whole days (db/metrics.ts) and
	// the deploys of its partial ones; and each window's incident figures, reading its incidents (two
	// here) by the started and resolved indexes and seeking the deploy each blames.
	"metrics, 90 days": cost(6, 21, 0, 0, 0, 0),
	// The team by its id, then its services by the team index and each one's deploys by
	// (service_id, deployed_at): the team's own history, sorted, never the table's.
	"deploy list, one team": cost(2, 19, 0, 0, 0, 0),
	// The team by its id, then its services by the team index, with their aliases and team.
	"services, one team": cost(2, 6, 0, 0, 0, 0),
	// As "metrics, 90 days", reaching the rollups and deploys through the team's services; their rollups
	// come in service order, so summing them per day sorts them, which D1 counts as reading them again.
	// Its incident figures reach the incidents through the team's services too.
	"metrics, one team, 90 days": cost(6, 47, 0, 0, 0, 0),
	// The settings row, by its primary key.
	settings: cost(1, 1, 0, 0, 0, 0),
	// The service, the production setting, what runs where, the timeline's page and its aliases,
	// and the delivery figures' batch (the two windows and the weekly medians) for the production environment;
	// the service's team adds its row. Incidents add the window setting, the delivery batch's two
	// incident statements, the service's latest incidents and the timeline's markers (the incidents
	// blaming the page's deploys).
	"service page": cost(13, 105, 0, 0, 0, 0),
	// The team with its services, the production setting, the environments its services deployed to
	// in the 90 days, and the delivery figures' batch for the production environment (the team's
	// services sought again for each week of the weekly medians); incidents add the window setting and
	// the delivery batch's two incident statements.
	"team page": cost(9, 105, 0, 0, 0, 0),
	// Every service that is not merged (here 204, 200 of them filler), its aliases and the one
	// team that owns a service: grows with the catalog, not with deploys.
	"services list, archived too": cost(1, 415, 0, 0, 0, 0),
	// The merged service's row, by its primary key, and its aliases (none): the answer is a Location.
	"merged service's redirect": cost(1, 2, 0, 0, 0, 0),
	// The service lookup, then its incidents, newest first, by the (service, started) index, with the service's row.
	"incidents, one service": cost(2, 6, 0, 0, 0, 0),
};

function cost(
	d1Queries: number,
	d1RowsRead: number,
	d1RowsWritten: number,
	doRequests: number,
	doRowsRead: number,
	doRowsWritten: number,
): Cost {
	return { d1Queries, d1RowsRead, d1RowsWritten, doRequests, doRowsRead, doRowsWritten };
}

const measured: Record<number, Record<string, Cost>> = {};

/**
 * Reads that grow with the window, not the table: the metrics read each daily
 * rollup (a stream's day) of their two windows (the 90 days and the 90 before)
 * and each deploy of their partial first and last days, plus a few rows
 * whatever the size; so at most one row per deploy too, since a rollup holds
 * at least one. Measured for the whole organisation and for a busy service.
 */
const METRICS_WINDOW = `from=${new Date(NOW - 90 * DAY).toISOString()}&to=${new Date(NOW).toISOString()}`;
const FROM = NOW - 180 * DAY;
const windowed: Record<string, { path: string; serviceId?: string }> = {
	"metrics, 90 days, the whole organisation": { path: `/api/metrics?${METRICS_WINDOW}` },
	"metrics, 90 days, a busy service in production": {
		path: `/api/metrics?service=filler-0&environment=production&${METRICS_WINDOW}`,
		serviceId: "filler-0",
	},
};
/**
 * The most rows a windowed read may read beyond those: the service lookup's,
 * and the incident figures' statements', which read a few even without incidents.
 */
const WINDOWED_OVERHEAD = 11;
/** What a windowed read's size is measured in: its windows' deploys, rollups and deploys of partial days. */
type WindowSize = { deploys: number; streamDays: number; partialDeploys: number };
const measuredWindowed: Record<number, Record<string, { cost: Cost; size: WindowSize }>> = {};

/** The size of the two windows from FROM to NOW. */
async function windowSize(serviceId?: string): Promise<WindowSize> {
	const [firstDay, lastDay] = [Math.ceil(FROM / DAY), Math.floor(NOW / DAY)];
	const count = async (query: string, ...params: (number | string | null)[]) =>
		(
			await env.DB.prepare(query)
				.bind(...params, serviceId ?? null)
				.first<{ n: number }>()
		)?.n ?? 0;
	const deploysIn = (from: number, to: number) =>
		count(
			"SELECT count(*) AS n FROM deploys WHERE deployed_at >= ?1 AND deployed_at < ?2 AND (?3 IS NULL OR service_id = ?3)",
			from,
			to,
		);
	return {
		deploys: await deploysIn(FROM, NOW),
		streamDays: await count(
			"SELECT count(*) AS n FROM metrics_days WHERE day >= ?1 AND day < ?2 AND (?3 IS NULL OR service_id = ?3)",
			firstDay,
			lastDay,
		),
		// The windows' partial days: the first, the last, and the day they meet inside (split between them).
		partialDeploys:
			(await deploysIn(FROM, firstDay * DAY)) +
			(await deploysIn(Math.floor((NOW - 90 * DAY) / DAY) * DAY, Math.ceil((NOW - 90 * DAY) / DAY) * DAY)) +
			(await deploysIn(lastDay * DAY, NOW)),
	};
}

beforeAll(async () => {
	session = signIn();
	integration = await api.createIntegration("budgets");
	service = await api.createService(unique("Budgeted"), [alias]);
	await api.createService(unique("Ingested"), [ingestAlias]);
	team = await teamOwning([service.id]);
	merged = await api.createService(unique("Merged"));
	const survivor = await api.createService(unique("Survivor"));
	await costOf(`/api/services/${merged.id}/merge`, {
		...post({ into_service_id: survivor.id }),
		headers: ADMIN,
	});
	await addFillerServices();
	// Set, so its read finds its row (unset, it reads none): what a team that chose its production pays.
	await costOf("/api/settings", {
		method: "PUT",
		headers: ADMIN,
		body: JSON.stringify({ production_environments: ["production", "prod"] }),
	});
	// The budgeted service's own history: a few deploys in three environments, some in the metrics window.
	for (const [i, environment] of ["Production", "Production", "staging", "qa", "Production"].entries()) {
		const deployedAt = new Date(NOW - (i + 1) * 7 * DAY).toISOString();
		await costOf(webhook(), post(examplePayload({ service: alias, environment, deployed_at: deployedAt })));
	}
	await costOf(webhook(), post(examplePayload({ service: ingestAlias, dedup_id: "repeated" })));
	// Two incidents in the metrics window, one resolved, each blaming the deploy before it.
	for (const [started, resolved] of [
		[NOW - 7 * DAY + HOUR, NOW - 7 * DAY + 2 * HOUR],
		[NOW - 14 * DAY + HOUR, undefined],
	] as const) {
		const incident = { service: alias, title: "Budgeted incident", started_at: new Date(started).toISOString() };
		await costOf("/api/incidents", {
			...post({ ...incident, resolved_at: resolved && new Date(resolved).toISOString() }),
			headers: ADMIN,
		});
	}

	for (const [size, filler] of [
		[1_000, 1_000],
		[100_000, 99_000],
	] as const) {
		await addFiller(filler);
		measured[size] = {};
		for (const [name, measure] of Object.entries(operations)) {
			// Steady state is what is budgeted: seeding can outlast the webhook URL's
			// one-minute cache on a busy machine, so each operation runs once unmeasured.
			await measure();
			measured[size][name] = await measure();
		}
		measuredWindowed[size] = {};
		for (const [name, { path, serviceId }] of Object.entries(windowed)) {
			await costOf(path, { headers: ADMIN });
			measuredWindowed[size][name] = {
				cost: await costOf(path, { headers: ADMIN }),
				size: await windowSize(serviceId),
			};
		}
	}
}, 300_000);

describe.each(Object.keys(operations))("%s", (name) => {
	it("stays within its budget", () => {
		for (const size of [1_000, 100_000]) {
			const cost = measured[size]?.[name];
			for (const [key, limit] of Object.entries(BUDGET[name] ?? NO_COST)) {
				expect(cost?.[key as keyof Cost], `${key} with ${size} deploys stored`).toBeLessThanOrEqual(limit);
			}
		}
	});

	it("costs the same with 100,000 deploys stored as with 1,000", () => {
		expect(measured[100_000]?.[name]).toEqual(measured[1_000]?.[name]);
	});
});

describe.each(Object.keys(windowed))("%s", (name) => {
	const of = (size: number) =>
		measuredWindowed[size]?.[name] ?? { cost: NO_COST, size: { deploys: 0, streamDays: 0, partialDeploys: 0 } };

	it.each([1_000, 100_000])("reads each deploy of its windows at most once, with %i deploys stored", (size) => {
		const { cost, size: window } = of(size);
		expect(cost.d1RowsRead, `rows read for ${window.deploys} deploys in the windows`).toBeLessThanOrEqual(
			window.deploys + WINDOWED_OVERHEAD,
		);
	});

	// A rollup is read through its index and then its row when a service is named: at most two rows.
	it.each([1_000, 100_000])("reads days × streams, not deploys, with %i deploys stored", (size) => {
		const { cost, size: window } = of(size);
		expect(
			cost.d1RowsRead,
			`rows read for ${window.streamDays} days × streams and ${window.partialDeploys} deploys of partial days`,
		).toBeLessThanOrEqual(2 * window.streamDays + window.partialDeploys + WINDOWED_OVERHEAD);
	});
});
