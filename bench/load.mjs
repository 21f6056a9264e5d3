// Load scenarios and how they are run: autocannon's programmatic API, a warm-up
// whose numbers are thrown away (the first requests pay for compiling the
// Worker, opening SQLite files and creating Durable Objects), then short
// measured slices (bench/run.mjs interleaves them), or one burst of a fixed
// number of requests.

import { randomBytes, randomUUID } from "node:crypto";
import autocannon from "autocannon";

/**
 * @typedef {object} Scenario
 * @property {string} name
 * @property {number} connections concurrent connections, each with one request in flight
 * @property {"GET" | "POST"} method
 * @property {string | (() => string)} path a function is called for every request
 * @property {string | (() => string)} [body] likewise
 * @property {Record<string, string>} [headers]
 * @property {number} [requestsPerSlice] for reads that take seconds: a slice is
 *   this many requests, not a duration, which might end before the first answer
 * @property {(status: number, body: any) => string | undefined} verify
 *   checked once on a single request before the load: an error message if the
 *   scenario does not hit the path it means to measure (a 404, an unmatched service)
 */

/**
 * @typedef {object} Run one autocannon run
 * @property {number} requestsPerSecond
 * @property {number} p50 latency, ms
 * @property {number} p99 latency, ms
 * @property {number} errors non-2xx answers, socket errors and timeouts
 * @property {number} timeouts requests that had no answer in time
 * @property {Record<string, number>} statusCodes how many answers had each status code
 */

/**
 * A valid Custom Deploy webhook body, with a fresh dedup_id: what a pipeline
 * sends when it finishes a deploy of `service`.
 */
export function deployPayload(service = "checkout") {
	const now = Date.now();
	return JSON.stringify({
		dedup_id: randomUUID(),
		service,
		deployer: { email: "ci@example.com", name: "CI Pipeline" },
		deployed_at: new Date(now).toISOString(),
		environment: "Production",
		description: "Deployed by CI Pipeline: benchmark",
		status: "success",
		commit: {
			sha: randomBytes(20).toString("hex"),
			message: "Merge branch 'fix-tax-rate' into 'main'",
			branch: "main",
			authoring_date: new Date(now - 3_600_000).toISOString(),
		},
	});
}

/**
 * @template T
 * @param {T | (() => T)} value
 * @returns {T}
 */
const resolve = (value) => (typeof value === "function" ? /** @type {() => T} */ (value)() : value);

/**
 * The scenario's request, once.
 * @param {string} base
 * @param {Scenario} scenario
 */
const send = (base, scenario) =>
	fetch(`${base}${resolve(scenario.path)}`, {
		method: scenario.method,
		headers: scenario.headers,
		body: scenario.body === undefined ? undefined : resolve(scenario.body),
	});

/**
 * Sends the scenario's request once and checks the answer.
 * @param {string} base
 * @param {Scenario} scenario
 */
export async function preflight(base, scenario) {
	const response = await send(base, scenario);
	const text = await response.text();
	let body;
	try {
		body = JSON.parse(text);
	} catch {
		body = text;
	}
	const problem = scenario.verify(response.status, body);
	if (problem) throw new Error(`${scenario.name}: ${problem} (HTTP ${response.status}: ${text.slice(0, 500)})`);
}

/**
 * One autocannon run, for `seconds` or until `amount` requests were answered.
 * A dynamic path or body goes through `setupRequest`, which autocannon calls
 * before every request it sends.
 * @param {string} base
 * @param {Scenario} scenario
 * @param {{ seconds: number } | { amount: number, timeout: number }} length
 *   `timeout`: seconds a request may take (autocannon's default is 10)
 * @returns {Promise<Run>}
 */
async function fire(base, scenario, length) {
	const { path, body } = scenario;
	const dynamic = typeof path === "function" || typeof body === "function";
	// Keys left out rather than set to undefined: autocannon merges requests over
	// its defaults with Object.assign, so an undefined `setupRequest` would replace its own.
	const request = {
		method: scenario.method,
		path: resolve(path),
		...(body !== undefined && { body: resolve(body) }),
		...(scenario.headers && { headers: scenario.headers }),
		...(dynamic && {
			setupRequest: (/** @type {object} */ request) => ({
				...request,
				path: resolve(path),
				body: body && resolve(body),
			}),
		}),
	};
	const result = await autocannon({
		url: base,
		connections: scenario.connections,
		...("seconds" in length ? { duration: length.seconds } : { amount: length.amount, timeout: length.timeout }),
		requests: [request],
	});
	return {
		// All answers over the run's real length: autocannon's per-second average
		// would count the last, partial second as a full one.
		requestsPerSecond: result.requests.total / result.duration,
		p50: result.latency.p50,
		p99: result.latency.p99,
		// autocannon's `errors` already includes its `timeouts`.
		errors: result.non2xx + result.errors,
		timeouts: result.timeouts,
		statusCodes: Object.fromEntries(
			Object.entries(result.statusCodeStats ?? {}).map(([code, { count = 0 }]) => [code, count]),
		),
	};
}

/**
 * Load whose numbers are thrown away: only its errors count.
 * @param {string} base
 * @param {Scenario} scenario
 * @param {number} seconds
 * @returns {Promise<number>} the errors seen
 */
export async function warmUp(base, scenario, seconds) {
	return seconds > 0 ? (await fire(base, scenario, { seconds })).errors : 0;
}

/**
 * Waits until the requests a slice cut off are done. autocannon closes its
 * connections at the end, but the server finishes what they asked, and D1 runs
 * queries one at a time: left alone, the slow reads' leftovers would pile up
 * and starve the next rows. One more request of the same kind queues behind
 * them, so its answer means they are through.
 * @param {string} base
 * @param {Scenario} scenario
 */
export async function drain(base, scenario) {
	await (await send(base, scenario)).arrayBuffer();
}

/** How long one of a `requestsPerSlice` scenario's requests may take. */
const SLOW_REQUEST_TIMEOUT_SECONDS = 60;

/**
 * One measured slice: `seconds` long, or the scenario's `requestsPerSlice`.
 * @param {string} base
 * @param {Scenario} scenario
 * @param {number} seconds
 */
export const slice = (base, scenario, seconds) =>
	fire(
		base,
		scenario,
		scenario.requestsPerSlice
			? { amount: scenario.requestsPerSlice, timeout: SLOW_REQUEST_TIMEOUT_SECONDS }
			: { seconds },
	);

/**
 * Exactly `amount` requests, `scenario.connections` at a time: a burst, not a
 * rate. Each may take `timeout` seconds, as long as the client it stands for waits.
 * @param {string} base
 * @param {Scenario} scenario
 * @param {{ amount: number, timeout: number }} size
 */
export const burst = (base, scenario, size) => fire(base, scenario, size);
