// `npm run bench`: throughput and latency of the Worker under `wrangler dev`,
// on a throwaway local database holding 100,000 seeded deploys, each row beside
// reference Workers (bench/reference) measured in the same rounds.
//
//   BENCH_ROUNDS=2 BENCH_SLICE=1 npm run bench   # a quick run
//   BENCH_ONLY=ingest npm run bench              # the rows whose name has "ingest", and their references
//
// Every row and reference is measured in BENCH_ROUNDS short slices of
// BENCH_SLICE seconds, one round after another over all of them (the order
// reversed every other round), after one warm-up of BENCH_WARMUP seconds each.
// The machine's load changes during a run; interleaving lets it hit every row
// and its reference alike, and the medians keep one disturbed slice out.
//
// The table goes to stdout (Markdown, to paste into the README); progress and
// diagnostics go to stderr. Exits non-zero if any request failed.
//
// Absolute numbers describe this machine and the local runtime (wrangler's
// proxy in front of workerd, SQLite files on local disk), not Cloudflare's
// network; read each row against its reference.

import { unlink } from "node:fs/promises";
import { constants } from "node:os";
import { join } from "node:path";
import { burst, deployPayload, drain, preflight, slice, warmUp } from "./load.mjs";
import { burstFailures, failures, markdownReport, referenceName } from "./report.mjs";
import { ADMIN_TOKEN, Sandbox } from "./sandbox.mjs";
import { writeSeedSql } from "./seed.mjs";
import { medians } from "./stats.mjs";

/** @typedef {import("./load.mjs").Scenario} Scenario */
/** @typedef {import("./load.mjs").Run} Run */
/** @typedef {import("./report.mjs").Row} Row */
/** @typedef {keyof typeof import("./report.mjs").REFERENCES} ReferenceKey */

const SEEDED_DEPLOYS = 100_000;
const INTEGRATIONS = 8;
const DAY = 86_400_000;
/**
 * The monorepo release: this many deploys into one integration, this many at
 * once, each waited for as long as scripts/report-deploy.sh waits per attempt
 * by default (its --timeout).
 */
const BURST = { deploys: 1_000, connections: 200, timeoutSeconds: 20 };
const REFERENCE_CONFIG = "bench/reference/wrangler.toml";

const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
const json = { "content-type": "application/json" };

/** A mistake in how the benchmark was invoked: reported without a stack trace. */
class UsageError extends Error {}

/** Set once a signal arrived, so the interrupted run does not also report an error. */
let interrupted = false;

/** @param {string} message */
const log = (message) => process.stderr.write(`[bench] ${message}\n`);

/**
 * Runs `work` and logs how long it took: seeding and startup are part of what
 * a rerun costs, so they are reported too.
 * @template T
 * @param {string} label
 * @param {() => Promise<T>} work
 * @returns {Promise<T>}
 */
async function timed(label, work) {
	const started = performance.now();
	const result = await work();
	log(`${label} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
	return result;
}

/**
 * A duration in seconds from the environment, so a quick run is one variable away.
 * @param {string} name
 * @param {number} fallback
 * @param {{ allowZero: boolean }} options
 */
function secondsFromEnv(name, fallback, { allowZero }) {
	const raw = process.env[name];
	if (raw === undefined || raw.trim() === "") return fallback;
	const value = Number(raw);
	if (!Number.isFinite(value) || value < 0 || (value === 0 && !allowZero)) {
		throw new UsageError(
			`${name} must be a number of seconds${allowZero ? "" : " above 0"}, not ${JSON.stringify(raw)}`,
		);
	}
	return value;
}

/** How many rounds every row and reference gets measured in: BENCH_ROUNDS, a whole number from 1. */
function roundsFromEnv() {
	const raw = process.env.BENCH_ROUNDS;
	if (raw === undefined || raw.trim() === "") return 5;
	const value = Number(raw);
	if (!Number.isInteger(value) || value < 1) {
		throw new UsageError(`BENCH_ROUNDS must be a whole number from 1, not ${JSON.stringify(raw)}`);
	}
	return value;
}

/** Wrangler needs Node 22; the project pins it, and npm scripts run on it. */
function checkNode() {
	const major = Number(process.versions.node.split(".")[0]);
	if (major < 22) {
		throw new UsageError(`Node ${process.version} is too old for wrangler: run \`npm run bench\` instead`);
	}
}

/**
 * One Management API call; anything but a 2xx stops the run.
 * @param {string} base
 * @param {"GET" | "POST"} method
 * @param {string} path
 * @param {unknown} [body]
 * @returns {Promise<any>}
 */
async function api(base, method, path, body) {
	const response = await fetch(`${base}${path}`, {
		method,
		headers: { ...auth, ...json },
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	const text = await response.text();
	if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${text}`);
	return JSON.parse(text);
}

/**
 * The write side, made through the API as a user would: integrations (each
 * with its own ledger Durable Object) and the service the deploys report to.
 * @param {string} base
 * @returns {Promise<string[]>} the integrations' webhook paths
 */
async function setUpCatalog(base) {
	const paths = [];
	for (let i = 1; i <= INTEGRATIONS; i++) {
		const integration = await api(base, "POST", "/api/integrations", { name: `Benchmark ${i}` });
		paths.push(new URL(integration.webhook_url).pathname);
	}
	await api(base, "POST", "/api/services", { name: "checkout", aliases: ["checkout"] });
	return paths;
}

/**
 * A check for `Scenario.verify`: the status expected and, optionally, a test of the body.
 * @param {number} status
 * @param {string} [what] what `test` looks for, for the error message
 * @param {(body: any) => boolean} [test]
 * @returns {Scenario["verify"]}
 */
const expect = (status, what, test) => (actual, body) =>
	actual === status && (!test || test(body)) ? undefined : `expected HTTP ${status}${what ? ` with ${what}` : ""}`;

const recorded = expect(202, '{"result":"ok"}', (body) => body.result === "ok");
const repeated = expect(202, '{"result":"duplicate_deploy"}', (body) => body.result === "duplicate_deploy");

/**
 * A reference Worker's route as a scenario: (a) a GET, the others the webhook
 * body, fresh each time except for (e), which looks up the deploy recorded for it.
 * @param {ReferenceKey} key
 * @param {number} connections
 * @param {string} duplicate
 * @returns {Scenario}
 */
function referenceScenario(key, connections, duplicate) {
	const name = referenceName(key);
	if (key === "a") return { name, connections, method: "GET", path: "/healthz", verify: expect(200) };
	const path = { b: "/simple", c: "/object-then-d1", d: "/object", e: "/object-read" }[key];
	const body = key === "e" ? duplicate : () => deployPayload();
	return { name, connections, method: "POST", path, headers: json, body, verify: key === "e" ? repeated : recorded };
}

/**
 * @typedef {object} Plan a row and the references it is read against, at its concurrency
 * @property {Scenario} scenario
 * @property {ReferenceKey[]} references
 */

/**
 * Every row, each with its references. Reads compare with the bare route (a);
 * fresh deploys with the object write (d), the object write plus D1 (c) and the
 * simple design (b); duplicates with an object call that only reads (e).
 * @param {{ webhooks: string[], serviceId: string, duplicate: string, windowEnd: string, session: string }} target
 * @returns {Plan[]}
 */
function plans({ webhooks, serviceId, duplicate, windowEnd, session }) {
	const [first = ""] = webhooks;
	// The reads' 90 days end before the run writes anything: the deploys ingest
	// adds would otherwise grow the organisation's window from round to round.
	const lastNinetyDays = `from=${encodeURIComponent(new Date(Date.parse(windowEnd) - 90 * DAY).toISOString())}&to=${encodeURIComponent(windowEnd)}`;
	let next = 0;
	/**
	 * @param {Omit<Scenario, "method" | "connections">} read the API's token unless it names other headers
	 * @param {number} [connections] 1 for the metrics: a request takes up to a second alone and
	 *   D1 runs queries one at a time, so ten at once would finish none in a short slice
	 */
	const read = (read, connections = 10) => ({
		scenario: { headers: auth, ...read, method: /** @type {const} */ ("GET"), connections },
		references: /** @type {ReferenceKey[]} */ (["a"]),
	});
	/** @type {Omit<Scenario, "name" | "connections" | "path" | "body" | "verify">} */
	const webhook = { method: "POST", headers: json };
	const fresh = /** @type {ReferenceKey[]} */ (["d", "c", "b"]);
	const list = {
		name: "deploy list: GET /api/deploys?limit=50",
		path: "/api/deploys?limit=50",
		verify: expect(200, "50 deploys", (body) => body.deploys?.length === 50),
	};
	return [
		read(list),
		// One at a time too, the metrics' concurrency: their latency targets are multiples of this row's.
		read(list, 1),
		read({
			name: "what runs where: GET /api/services/:id/environments",
			path: `/api/services/${serviceId}/environments`,
			verify: expect(200, "5 environments", (body) => body.environments?.length === 5),
		}),
		read(
			{
				name: "metrics, busiest service, 90 days: GET /api/metrics?service=:id",
				path: `/api/metrics?service=${serviceId}&${lastNinetyDays}`,
				verify: expect(200, "deploys counted", (body) => body.deployment_frequency?.total > 0),
			},
			1,
		),
		read(
			{
				name: "metrics, whole organisation, 90 days: GET /api/metrics",
				path: `/api/metrics?${lastNinetyDays}`,
				// A request can take seconds on a loaded machine: a 3 s slice might see no answer.
				requestsPerSlice: 3,
				verify: expect(200, "deploys counted", (body) => body.deployment_frequency?.total > 0),
			},
			1,
		),
		read({
			name: "service page (HTML): GET /services/:id",
			path: `/services/${serviceId}`,
			headers: { cookie: session },
			verify: expect(200, "the service's page", (body) => typeof body === "string" && body.includes("<html")),
		}),
		...[1, 10, 50].map((connections) => ({
			scenario: {
				...webhook,
				name: "ingest, 1 integration, unique dedup_ids",
				connections,
				path: first,
				body: () => deployPayload(),
				verify: recorded,
			},
			references: fresh,
		})),
		{
			scenario: {
				...webhook,
				name: "ingest, 1 integration, one repeated dedup_id",
				connections: 50,
				path: first,
				body: duplicate,
				verify: repeated,
			},
			references: ["e"],
		},
		{
			scenario: {
				...webhook,
				name: `ingest, spread over ${webhooks.length} integrations`,
				connections: 50,
				path: () => webhooks[next++ % webhooks.length] ?? first,
				body: () => deployPayload(),
				verify: recorded,
			},
			references: fresh,
		},
	];
}

const BURST_NAME = `monorepo burst: ${BURST.deploys.toLocaleString("en-US")} deploys into 1 integration, default rate limit`;

/** What `BENCH_ONLY` asks for (a piece of a row's name, any case), or undefined for everything. */
const only = () => process.env.BENCH_ONLY?.trim().toLowerCase() || undefined;

/** @param {string} name */
const wanted = (name) => {
	const piece = only();
	return piece === undefined || name.toLowerCase().includes(piece);
};

/**
 * Signs in to the UI with the admin token, as a person on a fresh install
 * does, and returns the session's cookies for the page row.
 * @param {string} base
 */
async function signIn(base) {
	const response = await fetch(`${base}/login`, {
		method: "POST",
		redirect: "manual",
		headers: { origin: base, "content-type": "application/x-www-form-urlencoded" },
		body: new URLSearchParams({ token: ADMIN_TOKEN, next: "/" }),
	});
	const cookies = response.headers.getSetCookie().map((cookie) => cookie.split(";")[0]);
	if (response.status !== 303 || cookies.length === 0) throw new Error(`sign-in: HTTP ${response.status}`);
	return cookies.join("; ");
}

/**
 * Seeds the local D1 database before `wrangler dev` opens it, so the server
 * starts on the finished data. (Seeding a running server works too, SQLite
 * locks the file between the two processes, but then the first reads would
 * race the load.)
 *
 * `wrangler d1 execute --local --file` is the supported way in. It sends the
 * whole file as one D1 batch (one transaction) and takes ~13 s here for the
 * 75 MB, 840-statement file: SQLite writing the rows and their ten indexes is
 * ~5 s of it (the same file through node:sqlite), starting wrangler ~2 s,
 * splitting the file ~0.4 s, and the rest is moving 75 MB into workerd and
 * through its write-ahead log. The faster paths we measured are worse bargains:
 * writing miniflare's SQLite file directly depends on an internal layout that
 * wrangler may change, and dropping the deploys indexes around the load
 * (~8.5 s) would copy the migrations' index definitions into the benchmark.
 * @param {Sandbox} sandbox
 */
async function seed(sandbox) {
	const file = join(sandbox.dir, "seed.sql");
	const seeded = await timed(`seed SQL for ${SEEDED_DEPLOYS.toLocaleString("en-US")} deploys written`, () =>
		writeSeedSql(file, { deploys: SEEDED_DEPLOYS, now: Date.now() }),
	);
	await timed(`seed applied (${seeded.statements} statements)`, () =>
		sandbox.wrangler(["d1", "execute", "DB", "--file", file]),
	);
	await unlink(file);
	return seeded;
}

/**
 * The monorepo release, once: a thousand deploys of the seeded services, two
 * hundred at a time, into a new integration, against a dev server with the
 * default rate limit (the measured server lifts it). Not a timed slice: a
 * release is one burst, and its bucket would be spent by a second one.
 * @param {Sandbox} sandbox
 * @param {{ name: string }[]} services
 */
async function monorepoBurst(sandbox, services) {
	const base = await timed("wrangler dev (default rate limit) answering", () => sandbox.startDevServer());
	try {
		const integration = await api(base, "POST", "/api/integrations", { name: "Monorepo" });
		let next = 0;
		/** @type {Scenario} */
		const scenario = {
			name: BURST_NAME,
			connections: BURST.connections,
			method: "POST",
			path: new URL(integration.webhook_url).pathname,
			headers: json,
			body: () => deployPayload(services[next++ % services.length]?.name),
			verify: recorded,
		};
		const run = await burst(base, scenario, { amount: BURST.deploys, timeout: BURST.timeoutSeconds });
		log(`${BURST_NAME}: ${JSON.stringify(run.statusCodes)}`);
		return run;
	} finally {
		await sandbox.stopDevServer(base);
	}
}

/** A row or reference is one scenario at one concurrency. */
const idOf = (/** @type {string} */ name, /** @type {number} */ connections) => `${name} @${connections}`;

/**
 * The rows `BENCH_ONLY` names, and before each the references it needs that
 * no earlier row brought: the order one round goes through.
 * @param {Plan[]} all
 * @param {string} duplicate
 */
function schedule(all, duplicate) {
	const chosen = all.filter((plan) => wanted(plan.scenario.name));
	/** @type {{ kind: "reference" | "row", key: string, scenario: Scenario }[]} */
	const order = [];
	for (const plan of chosen) {
		const { connections } = plan.scenario;
		for (const key of plan.references) {
			const id = idOf(referenceName(key), connections);
			if (!order.some((item) => item.key === id)) {
				order.push({ kind: "reference", key: id, scenario: referenceScenario(key, connections, duplicate) });
			}
		}
		order.push({ kind: "row", key: idOf(plan.scenario.name, connections), scenario: plan.scenario });
	}
	return { chosen, order };
}

/**
 * @param {Sandbox} sandbox
 * @param {{ rounds: number, slice: number, warmup: number }} settings
 */
async function bench(sandbox, settings) {
	await timed("migrations applied", () => sandbox.migrate());
	await timed("reference migrations applied", () => sandbox.migrate({ config: REFERENCE_CONFIG }));
	const seeded = await seed(sandbox);
	const windowEnd = new Date().toISOString();
	const burstResult = wanted(BURST_NAME) ? await monorepoBurst(sandbox, seeded.services) : undefined;

	// The measured rows go as fast as ingest can, so the per-integration rate
	// limit (2,000 at once, then 20/s) is lifted: at full speed it would answer 429s.
	const vars = { WEBHOOK_BURST: "100000000", WEBHOOK_PER_SECOND: "100000000" };
	const base = await timed("wrangler dev answering", () => sandbox.startDevServer({ vars }));
	const reference = await timed("reference wrangler dev answering", () =>
		sandbox.startDevServer({ config: REFERENCE_CONFIG }),
	);
	const webhooks = await setUpCatalog(base);

	// The duplicate rows repeat a deploy that is already recorded, in the project and in reference (e).
	const duplicate = deployPayload();
	const [first = ""] = webhooks;
	/** @type {Omit<Scenario, "path">} */
	const remember = {
		name: "recording the deploy to repeat",
		connections: 1,
		method: "POST",
		headers: json,
		body: duplicate,
		verify: recorded,
	};
	await preflight(base, { ...remember, path: first });
	await preflight(reference, { ...remember, path: "/object" });

	// The busiest seeded service: the heaviest "what runs where", metrics and page.
	const [busiest] = seeded.services;
	if (!busiest) throw new Error("nothing was seeded");
	const session = await signIn(base);
	const { chosen, order } = schedule(
		plans({ webhooks, serviceId: busiest.id, duplicate, windowEnd, session }),
		duplicate,
	);
	if (chosen.length === 0 && !burstResult) throw new UsageError(`BENCH_ONLY=${only()} names no row`);

	const items = order.map((item) => ({
		...item,
		base: item.kind === "reference" ? reference : base,
		/** @type {Run[]} */ runs: [],
		warmupErrors: 0,
	}));
	await measureInRounds(items, settings);

	/** @type {Map<string, Row>} */
	const rows = new Map(
		items.map((item) => [
			item.key,
			{
				name: item.scenario.name,
				connections: item.scenario.connections,
				...medians(item.runs),
				errors: item.runs.reduce((sum, run) => sum + run.errors, 0),
				warmupErrors: item.warmupErrors,
				statusCodes: sumCodes(item.runs),
				references: [],
			},
		]),
	);
	for (const plan of chosen) {
		const { name, connections } = plan.scenario;
		const row = rows.get(idOf(name, connections));
		if (!row) continue;
		row.references = plan.references.map((key) => ({
			key,
			measured: /** @type {Row} */ (rows.get(idOf(referenceName(key), connections))),
		}));
	}
	for (const row of rows.values()) {
		log(`${row.name} @${row.connections}: ${Math.round(row.requestsPerSecond)} req/s, ${row.errors} errors`);
	}

	const data =
		`reads on ${SEEDED_DEPLOYS.toLocaleString("en-US")} seeded deploys of ${seeded.services.length} services ` +
		`in 5 environments over 180 days, for one service with ${seeded.counts[0]?.toLocaleString("en-US")} of them`;
	return {
		references: items
			.filter((item) => item.kind === "reference")
			.map((item) => /** @type {Row} */ (rows.get(item.key))),
		rows: chosen.map((plan) => /** @type {Row} */ (rows.get(idOf(plan.scenario.name, plan.scenario.connections)))),
		burst: burstResult && {
			name: BURST_NAME,
			connections: BURST.connections,
			timeout: BURST.timeoutSeconds,
			run: burstResult,
		},
		settings,
		data,
	};
}

/**
 * Checks and warms up every item, then measures them all round after round,
 * the order reversed every other round so a drift in the machine's load
 * favours no row. After each slice, `drain` lets what it cut off finish.
 * @param {{ base: string, scenario: Scenario, runs: Run[], warmupErrors: number }[]} items
 * @param {{ rounds: number, slice: number, warmup: number }} settings
 */
async function measureInRounds(items, settings) {
	for (const item of items) {
		await preflight(item.base, item.scenario);
		item.warmupErrors = await warmUp(item.base, item.scenario, settings.warmup);
		await drain(item.base, item.scenario);
	}
	for (let round = 1; round <= settings.rounds; round++) {
		for (const item of round % 2 === 1 ? items : items.toReversed()) {
			item.runs.push(await slice(item.base, item.scenario, settings.slice));
			await drain(item.base, item.scenario);
		}
		log(`round ${round} of ${settings.rounds} done`);
	}
}

/**
 * How many answers had each status code, over all of a row's slices.
 * @param {Run[]} runs
 */
function sumCodes(runs) {
	/** @type {Record<string, number>} */
	const total = {};
	for (const run of runs) {
		for (const [code, count] of Object.entries(run.statusCodes)) total[code] = (total[code] ?? 0) + count;
	}
	return total;
}

/**
 * Ctrl-C (or a kill) stops wrangler and removes the directory before exiting;
 * a second one exits at once, and the 'exit' handler kills what is left.
 * @param {Sandbox} sandbox
 */
function stopOnSignals(sandbox) {
	for (const signal of /** @type {const} */ (["SIGINT", "SIGTERM", "SIGHUP"])) {
		process.on(signal, () => {
			const code = 128 + constants.signals[signal];
			if (interrupted) process.exit(code);
			interrupted = true;
			log(`${signal}: stopping wrangler dev and removing ${sandbox.dir}`);
			sandbox.dispose().finally(() => process.exit(code));
		});
	}
}

async function main() {
	checkNode();
	const settings = {
		rounds: roundsFromEnv(),
		slice: secondsFromEnv("BENCH_SLICE", 3, { allowZero: false }),
		warmup: secondsFromEnv("BENCH_WARMUP", 1, { allowZero: true }),
	};
	const sandbox = await Sandbox.create();
	process.once("exit", () => sandbox.disposeSync());
	stopOnSignals(sandbox);
	log(`working in ${sandbox.dir}`);

	try {
		const report = await bench(sandbox, settings);
		process.stdout.write(`${markdownReport(report)}\n`);
		const failed = [...failures([...report.references, ...report.rows]), ...burstFailures(report.burst)];
		for (const line of failed) log(`FAILED ${line}`);
		if (failed.length > 0) process.exitCode = 1;
	} finally {
		await sandbox.dispose();
	}
}

const started = performance.now();
try {
	await main();
	log(`done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
} catch (error) {
	// After a Ctrl-C the failures that follow are ours; the signal handler exits.
	if (!interrupted) {
		log(error instanceof UsageError ? error.message : error instanceof Error ? (error.stack ?? "") : String(error));
		process.exitCode = 1;
	}
}
