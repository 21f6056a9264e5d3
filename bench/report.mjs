// The results as one Markdown table with a legend, to paste into the README or an issue.

import { availableParallelism } from "node:os";
import { ratio } from "./stats.mjs";

/**
 * @typedef {import("./load.mjs").Run} Run
 * @typedef {object} Row one row's medians over its slices, and what its errors were
 * @property {string} name
 * @property {number} connections
 * @property {number} requestsPerSecond
 * @property {number} p50
 * @property {number} p99
 * @property {number} errors over all slices
 * @property {number} warmupErrors
 * @property {Record<string, number>} statusCodes over all slices
 * @property {{ key: string, measured: Row }[]} references read against, at the same concurrency
 */

/** The reference Workers (bench/reference/worker.ts), as the legend explains them. */
export const REFERENCES = {
	a: {
		label: "bare route",
		meaning: "a bare route (`GET /healthz` of a Worker with no framework): what the local stack itself serves",
	},
	b: {
		label: "one D1 statement",
		meaning:
			"the simple design: one D1 statement per deploy that dedups on a unique index and numbers by `max()+1` (atomic, since D1 has one writer)",
	},
	c: {
		label: "object write, then D1 insert",
		meaning:
			"a Durable Object SQLite write (dedup and number), then one D1 insert: the project's design with nothing around it",
	},
	d: { label: "object write", meaning: "the Durable Object write alone: the commit every accepted deploy waits for" },
	e: { label: "object read", meaning: "a Durable Object call that only reads: what a duplicate must at least cost" },
};

/** The monorepo burst's answers that are not failures: accepted, or the rate limit saying "later". */
const BURST_ANSWERS = ["202", "429"];

// Whole numbers only: autocannon records latencies in whole milliseconds, and
// a request rate's decimals are noise from one run to the next.
const number = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

/**
 * A row's name for the table.
 * @param {keyof typeof REFERENCES} key
 */
export const referenceName = (key) => `reference (${key}): ${REFERENCES[key].label}`;

/** @param {Row} row */
const versus = (row) => row.references.map(({ key, measured }) => `${ratio(row, measured)} (${key})`).join(", ") || "–";

/**
 * @param {string} name
 * @param {number} connections
 * @param {{ requestsPerSecond: number, p50: number, p99: number }} figures
 * @param {number} errors
 * @param {string} last the last column
 */
const line = (name, connections, figures, errors, last) =>
	`| ${[name, connections, ...[figures.requestsPerSecond, figures.p50, figures.p99, errors].map((n) => number.format(n)), last].join(" | ")} |`;

/**
 * @param {object} report
 * @param {Row[]} report.references
 * @param {Row[]} report.rows
 * @param {{ name: string, connections: number, timeout: number, run: Run } | undefined} report.burst
 * @param {{ rounds: number, slice: number, warmup: number }} report.settings
 * @param {string} report.data what the reads ran against
 * @returns {string}
 */
export function markdownReport({ references, rows, burst, settings, data }) {
	const header =
		`${availableParallelism()} cores, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}; ` +
		`wrangler dev (local workerd) on 127.0.0.1, load from the same machine; ` +
		`every row and reference measured in ${settings.rounds} rounds of ${settings.slice} s slices ` +
		`(order reversed every other round) after a ${settings.warmup} s warm-up, medians shown; ${data}.`;
	const legend = Object.entries(REFERENCES).map(([key, { meaning }]) => `- (${key}) ${meaning}.`);
	return [
		header,
		"",
		"| row | concurrency | requests/s | p50 (ms) | p99 (ms) | errors | vs. reference |",
		"| --- | ---: | ---: | ---: | ---: | ---: | --- |",
		...references.map((r) => line(r.name, r.connections, r, r.errors, "")),
		...rows.map((r) => line(r.name, r.connections, r, r.errors, versus(r))),
		...(burst ? [line(burst.name, burst.connections, burst.run, burstErrors(burst.run), burstAnswers(burst.run))] : []),
		"",
		"Ratios are requests/s against the reference's at the same concurrency, measured in the same rounds:",
		"",
		...legend,
		...(burst
			? [
					`- The burst is sent once, ${number.format(burst.connections)} at a time, each request waited for up to ${burst.timeout} s (the deploy reporter's default per attempt), to a dev server with the default rate limit, before the measured rows (whose server lifts it); its figures are over that one burst.`,
				]
			: []),
	].join("\n");
}

/** @param {Run} run */
const burstAnswers = (run) =>
	[
		...BURST_ANSWERS.map((code) => `${number.format(run.statusCodes[code] ?? 0)} × ${code}`),
		...(run.timeouts > 0 ? [`${number.format(run.timeouts)} timed out`] : []),
	].join(", ");

/**
 * The burst's failures: anything but a 202 or a 429, and socket errors.
 * @param {Run} run
 */
const burstErrors = (run) => run.errors - (run.statusCodes["429"] ?? 0);

/** @param {Record<string, number>} statusCodes */
const codes = (statusCodes) =>
	Object.entries(statusCodes)
		.map(([code, count]) => `${code}×${count}`)
		.join(", ") || "none";

/**
 * Lines about anything that failed, warm-ups included, with the status codes seen.
 * @param {Row[]} rows
 * @returns {string[]}
 */
export function failures(rows) {
	return rows
		.filter((r) => r.errors > 0 || r.warmupErrors > 0)
		.map(
			(r) =>
				`${r.name} (concurrency ${r.connections}): ${r.errors} errors, ${r.warmupErrors} during warm-up; status codes ${codes(r.statusCodes)}`,
		);
}

/**
 * The burst's failure, if it had one.
 * @param {{ name: string, run: Run } | undefined} burst
 * @returns {string[]}
 */
export function burstFailures(burst) {
	if (!burst || burstErrors(burst.run) === 0) return [];
	const { run } = burst;
	return [
		`${burst.name}: ${burstErrors(run)} errors (${run.timeouts} timeouts); status codes ${codes(run.statusCodes)}`,
	];
}
