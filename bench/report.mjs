// The results as one Markdown table, to paste into the README or an issue.

import { availableParallelism } from "node:os";

/**
 * @typedef {import("./load.mjs").Measurement} Measurement
 */

// Whole numbers only: autocannon records latencies in whole milliseconds, and
// a request rate's decimals are noise from one run to the next.
const number = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

/**
 * Throughput relative to `GET /healthz` at the same concurrency: how much of
 * what the stack (wrangler's proxy, workerd, the router) can do at all is left
 * once the route does its work. Comparing across concurrencies would mix in
 * the stack's own scaling.
 * @param {Measurement} m
 * @param {Map<number, Measurement>} baselines by concurrency
 */
function ratio(m, baselines) {
	const baseline = baselines.get(m.scenario.connections);
	return baseline ? `${(m.requestsPerSecond / baseline.requestsPerSecond).toFixed(2)}×` : "–";
}

/**
 * @param {object} run
 * @param {Measurement[]} run.measurements
 * @param {Map<number, Measurement>} run.baselines
 * @param {{ seconds: number, warmup: number }} run.durations
 * @param {string} run.data what the reads ran against
 * @returns {string}
 */
export function markdownReport({ measurements, baselines, durations, data }) {
	const header =
		`${availableParallelism()} cores, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}; ` +
		`wrangler dev (local workerd) on 127.0.0.1, load from the same machine; ` +
		`${durations.seconds} s per scenario after a ${durations.warmup} s warm-up; ${data}.`;
	const rows = measurements.map((m) =>
		[
			m.scenario.name,
			m.scenario.connections,
			number.format(m.requestsPerSecond),
			number.format(m.p50),
			number.format(m.p99),
			number.format(m.errors),
			ratio(m, baselines),
		].join(" | "),
	);
	return [
		header,
		"",
		"| scenario | concurrency | requests/s | p50 (ms) | p99 (ms) | errors | vs. /healthz |",
		"| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
		...rows.map((row) => `| ${row} |`),
	].join("\n");
}

/**
 * Lines about anything that failed, warm-ups included, with the status codes seen.
 * @param {Measurement[]} measurements
 * @returns {string[]}
 */
export function failures(measurements) {
	return measurements
		.filter((m) => m.errors > 0 || m.warmupErrors > 0)
		.map((m) => {
			const codes = Object.entries(m.statusCodes)
				.map(([code, count]) => `${code}×${count}`)
				.join(", ");
			return `${m.scenario.name} (concurrency ${m.scenario.connections}): ${m.errors} errors, ${m.warmupErrors} during warm-up; status codes ${codes || "none"}`;
		});
}
