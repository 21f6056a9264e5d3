import { describe, expect, it } from "vitest";
import { median, medians, ratio } from "../../bench/stats.mjs";

describe("bench statistics", () => {
	it("takes the middle value of an odd count, in any order", () => {
		expect(median([300, 100, 900, 200, 250])).toBe(250);
	});

	it("takes the mean of the two middle values of an even count", () => {
		expect(median([4, 1, 3, 2])).toBe(2.5);
	});

	it("refuses an empty list rather than inventing a figure", () => {
		expect(() => median([])).toThrow("the median of no values");
	});

	it("takes each figure's median on its own: a slow slice moves none of them", () => {
		const slices = [
			{ requestsPerSecond: 400, p50: 20, p99: 90 },
			{ requestsPerSecond: 120, p50: 80, p99: 400 },
			{ requestsPerSecond: 380, p50: 22, p99: 70 },
		];
		expect(medians(slices)).toEqual({ requestsPerSecond: 380, p50: 22, p99: 90 });
	});

	it("writes a row's throughput as a multiple of its reference's", () => {
		const reference = { requestsPerSecond: 400, p50: 1, p99: 1 };
		expect(ratio({ requestsPerSecond: 372, p50: 9, p99: 9 }, reference)).toBe("0.93×");
		expect(ratio({ requestsPerSecond: 500, p50: 9, p99: 9 }, reference)).toBe("1.25×");
	});
});
