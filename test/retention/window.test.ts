import { afterEach, describe, expect, it, vi } from "vitest";
import { idsBefore, newId } from "../../src/db/ids";
import { retentionDays } from "../../src/retention/window";

afterEach(() => {
	vi.restoreAllMocks();
});

describe("RETENTION_DAYS", () => {
	it.each([undefined, "", "   "])("keeps everything, quietly, when it is %j", (raw) => {
		const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
		expect(retentionDays(raw)).toBeUndefined();
		expect(warn).not.toHaveBeenCalled();
	});

	it.each([
		["90", 90],
		["1", 1],
		[" 30 ", 30],
		["0365", 365],
	])("reads %j as %d days", (raw, days) => {
		expect(retentionDays(raw)).toBe(days);
	});

	it.each(["0", "-30", "1.5", "30d", "thirty", "1e3", "0x10", "+30", "99999999999999999999"])(
		"refuses %j with a warning that names the variable, and purges nothing",
		(raw) => {
			const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
			expect(retentionDays(raw)).toBeUndefined();
			expect(warn).toHaveBeenCalledOnce();
			expect(warn.mock.calls[0]?.[0]).toMatch(/RETENTION_DAYS must be a positive whole number.*Nothing is purged/);
			expect(warn.mock.calls[0]?.[0]).toContain(JSON.stringify(raw));
		},
	);
});

describe("idsBefore", () => {
	it("sorts after every id made before the moment and before every id made at or after it", () => {
		// Far ahead and in rising order: ids are monotonic per isolate, so each one carries exactly its own time.
		const at = Date.UTC(2100, 0, 1);
		const bound = idsBefore(at);
		const made = [-86_400_000, -1_000, -1, 0, 1, 86_400_000].map((offset) => ({ offset, id: newId(at + offset) }));
		expect(made.map(({ offset, id }) => [offset, id < bound])).toEqual(made.map(({ offset }) => [offset, offset < 0]));
	});

	it("is the lowest possible bound before 1970, so nothing is ever older", () => {
		expect(idsBefore(-5)).toBe("00000000-0000");
	});
});
