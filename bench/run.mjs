// `npm run bench`: throughput and latency of the Worker under `wrangler dev`,
// on a throwaway local database holding 100,000 seeded deploys.
//
//   BENCH_SECONDS=2 BENCH_WARMUP=1 npm run bench   # a quick run
//   BENCH_ONLY=ingest npm run bench                # the rows whose name has "ingest", and the baseline
//
// The table goes to stdout (Markdown, to paste into the README); progress and
// diagnostics go to stderr. Exits non-zero if any request failed.
//
// Absolute numbers describe this machine and the local runtime (wrangler's
// proxy in front of workerd, SQLite files on local disk), not Cloudflare's
// network; compare runs on the same machine, and each row with /healthz.

import { unlink } from "node:fs/promises";
import { constants } from "node:os";
import { join } from "node:path";
import { deployPayload, measure, preflight } from "./load.mjs";
import { failures, markdownReport } from "./report.mjs";
import { ADMIN_TOKEN, Sandbox } from "./sandbox.mjs";
import { writeSeedSql } from "./seed.mjs";

/** @typedef {import("./load.mjs").Scenario} Scenario */
/** @typedef {import("./load.mjs").Measurement} Measurement */

const SEEDED_DEPLOYS = 100_000;
const INTEGRATIONS = 8;
const DAY = 86_400_000;

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

/** @param {number[]} connections @param {Omit<Scenario, "connections">} scenario */
const atEach = (connections, scenario) => connections.map((c) => ({ ...scenario, connections: c }));

/**
 * Every scenario, in the order they run. The reads come before the ingest
 * scenarios: those add tens of thousands of fresh `checkout` deploys, which
 * would then be the newest page the deploy list reads.
 * @param {{ webhooks: string[], serviceId: string, duplicate: string }} target
 * @returns {Scenario[]}
 */
function scenarios({ webhooks, serviceId, duplicate }) {
	const [first = ""] = webhooks;
	const from = new Date(Date.now() - 90 * DAY).toISOString();
	let next = 0;
	/** @type {Omit<Scenario, "name" | "connections" | "path" | "body" | "verify">} */
	const webhook = { method: "POST", headers: json };
	const recorded = expect(202, '{"result":"ok"}', (body) => body.result === "ok");
	const read = { method: /** @type {const} */ ("GET"), headers: auth, connections: 10 };
	return [
		...atEach([1, 10, 50], { name: "GET /healthz (baseline)", method: "GET", path: "/healthz", verify: expect(200) }),
		{
			...read,
			name: "deploy list: GET /api/deploys?limit=50",
			path: "/api/deploys?limit=50",
			verify: expect(200, "50 deploys", (body) => body.deploys?.length === 50),
		},
		{
			...read,
			name: "what runs where: GET /api/services/:id/environments",
			path: `/api/services/${serviceId}/environments`,
			verify: expect(200, "5 environments", (body) => body.environments?.length === 5),
		},
		{
			...read,
			name: "metrics, 90 days: GET /api/metrics?service=:id&from=…",
			path: `/api/metrics?service=${serviceId}&from=${encodeURIComponent(from)}`,
			verify: expect(200, "deploys counted", (body) => body.deployment_frequency?.total > 0),
		},
		...atEach([1, 10, 50], {
			...webhook,
			name: "ingest, 1 integration, unique dedup_ids",
			path: first,
			body: () => deployPayload(),
			verify: recorded,
		}),
		{
			...webhook,
			name: "ingest, 1 integration, one repeated dedup_id",
			connections: 50,
			path: first,
			body: duplicate,
			verify: expect(202, '{"result":"duplicate_deploy"}', (body) => body.result === "duplicate_deploy"),
		},
		{
			...webhook,
			name: `ingest, spread over ${webhooks.length} integrations`,
			connections: 50,
			path: () => webhooks[next++ % webhooks.length] ?? first,
			body: () => deployPayload(),
			verify: recorded,
		},
	];
}

/**
 * The scenarios `BENCH_ONLY` names (a piece of their name, any case), so one
 * row can be rerun while working on it; the baseline always runs, since every
 * row is reported as a ratio of it.
 * @param {Scenario[]} all
 */
function selected(all) {
	const only = process.env.BENCH_ONLY?.trim().toLowerCase();
	if (!only) return all;
	const chosen = all.filter((s) => s.path === "/healthz" || s.name.toLowerCase().includes(only));
	if (!chosen.some((s) => s.path !== "/healthz")) throw new UsageError(`BENCH_ONLY=${only} names no scenario`);
	return chosen;
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
 * @param {Sandbox} sandbox
 * @param {{ seconds: number, warmup: number }} durations
 */
async function bench(sandbox, durations) {
	await timed("migrations applied", () => sandbox.migrate());
	const seeded = await seed(sandbox);
	// The benchmark measures how fast ingest can go, so the per-integration rate
	// limit (2,000 at once, then 20/s) is lifted: at full speed it would answer 429s.
	const vars = { WEBHOOK_BURST: "100000000", WEBHOOK_PER_SECOND: "100000000" };
	const base = await timed("wrangler dev answering", () => sandbox.startDevServer({ vars }));
	const webhooks = await setUpCatalog(base);

	// The duplicate scenario repeats a deploy that is already recorded.
	const duplicate = deployPayload();
	const [first = ""] = webhooks;
	await preflight(base, {
		name: "recording the deploy to repeat",
		connections: 1,
		method: "POST",
		path: first,
		body: duplicate,
		verify: expect(202, '{"result":"ok"}', (body) => body.result === "ok"),
	});

	// The busiest seeded service: the heaviest "what runs where" and metrics.
	const [busiest] = seeded.services;
	if (!busiest) throw new Error("nothing was seeded");
	const measurements = [];
	for (const scenario of selected(scenarios({ webhooks, serviceId: busiest.id, duplicate }))) {
		await preflight(base, scenario);
		const m = await measure(base, scenario, durations);
		log(`${scenario.name} @${scenario.connections}: ${Math.round(m.requestsPerSecond)} req/s, ${m.errors} errors`);
		measurements.push(m);
	}

	const baselines = new Map(
		measurements.filter((m) => m.scenario.path === "/healthz").map((m) => [m.scenario.connections, m]),
	);
	const data =
		`reads on ${SEEDED_DEPLOYS.toLocaleString("en-US")} seeded deploys of ${seeded.services.length} services ` +
		`in 5 environments over 180 days, for one service with ${seeded.counts[0]?.toLocaleString("en-US")} of them`;
	return { measurements, baselines, durations, data };
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
	const durations = {
		seconds: secondsFromEnv("BENCH_SECONDS", 10, { allowZero: false }),
		warmup: secondsFromEnv("BENCH_WARMUP", 2, { allowZero: true }),
	};
	const sandbox = await Sandbox.create();
	process.once("exit", () => sandbox.disposeSync());
	stopOnSignals(sandbox);
	log(`working in ${sandbox.dir}`);

	try {
		const report = await bench(sandbox, durations);
		process.stdout.write(`${markdownReport(report)}\n`);
		const failed = failures(report.measurements);
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
