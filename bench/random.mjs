// Deterministic randomness for the seed data: the same seed gives the same
// services, people, commits and statuses on every run, so two runs of the
// benchmark (on two commits, say) read the same shape of data.

/** @typedef {() => number} Random A source of floats in [0, 1). */

/**
 * mulberry32: tiny, fast and good enough for test data (not for secrets).
 * @param {number} seed
 * @returns {Random}
 */
export function seededRandom(seed) {
	let state = seed >>> 0;
	return () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

/**
 * A whole number in [0, n).
 * @param {Random} random
 * @param {number} n
 */
export function below(random, n) {
	return Math.floor(random() * n);
}

/**
 * One element of a non-empty array.
 * @template T
 * @param {Random} random
 * @param {readonly T[]} items
 * @returns {T}
 */
export function pick(random, items) {
	return /** @type {T} */ (items[below(random, items.length)]);
}

/**
 * One value, chosen with the given weights (which need not sum to 1).
 * @template T
 * @param {Random} random
 * @param {readonly (readonly [T, number])[]} choices `[value, weight]` pairs, at least one
 * @returns {T}
 */
export function weighted(random, choices) {
	const total = choices.reduce((sum, [, weight]) => sum + weight, 0);
	let at = random() * total;
	for (const [value, weight] of choices) {
		at -= weight;
		if (at < 0) return value;
	}
	return /** @type {readonly [T, number]} */ (choices.at(-1))[0];
}

/**
 * `count` random bytes as lower-case hex.
 * @param {Random} random
 * @param {number} count
 */
export function hex(random, count) {
	let out = "";
	for (let i = 0; i < count; i++) out += below(random, 256).toString(16).padStart(2, "0");
	return out;
}

/** @param {string} h 32 hex digits */
const dashed = (h) => `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;

/** The RFC 9562 variant bits (10xx) on the first hex digit of the fourth group. */
const variant = (/** @type {Random} */ random) => (8 + below(random, 4)).toString(16);

/**
 * A UUIDv4, for dedup ids and webhook tokens.
 * @param {Random} random
 */
export function uuidV4(random) {
	const h = hex(random, 16);
	return dashed(`${h.slice(0, 12)}4${h.slice(13, 16)}${variant(random)}${h.slice(17)}`);
}

/**
 * A UUIDv7 for `ms`, the shape the app gives its own ids (src/db/ids.ts): ids
 * made from arrival times sort by arrival, which the API uses to break ties.
 * @param {Random} random
 * @param {number} ms Unix epoch milliseconds
 */
export function uuidV7(random, ms) {
	const h = hex(random, 16);
	return dashed(`${ms.toString(16).padStart(12, "0")}7${h.slice(13, 16)}${variant(random)}${h.slice(17)}`);
}
