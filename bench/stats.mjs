// How the slices of an interleaved run become one row: medians, and ratios to
// the reference measured in the same rounds. No Node imports, so the unit
// test (test/bench/stats.test.mjs) runs in the project's usual test pool.

/**
 * @typedef {object} Slice one short measured run
 * @property {number} requestsPerSecond
 * @property {number} p50 latency, ms
 * @property {number} p99 latency, ms
 */

/**
 * The middle value; for an even count, the mean of the two middle ones. A
 * median, not a mean, so one slice hit by a neighbour's burst of CPU does not
 * move the row.
 * @param {number[]} values
 * @returns {number}
 */
export function median(values) {
	if (values.length === 0) throw new Error("the median of no values");
	const sorted = values.toSorted((a, b) => a - b);
	const half = Math.floor(sorted.length / 2);
	// Number(): indexes within the array, but the type says they might not be.
	const upper = Number(sorted[half]);
	return sorted.length % 2 === 1 ? upper : (Number(sorted[half - 1]) + upper) / 2;
}

/**
 * Each figure's median over the slices, taken separately.
 * @param {Slice[]} slices
 * @returns {Slice}
 */
export const medians = (slices) => ({
	requestsPerSecond: median(slices.map((s) => s.requestsPerSecond)),
	p50: median(slices.map((s) => s.p50)),
	p99: median(slices.map((s) => s.p99)),
});

/**
 * A row's throughput as a multiple of its reference's, e.g. "0.93×".
 * @param {Slice} row
 * @param {Slice} reference
 */
export const ratio = (row, reference) => `${(row.requestsPerSecond / reference.requestsPerSecond).toFixed(2)}×`;
