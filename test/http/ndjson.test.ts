import { describe, expect, it } from "vitest";
import { type Line, type Stop, splitLines } from "../../src/http/ndjson";

const LIMITS = { maxLineBytes: 8, maxLines: 100, maxBytes: 1000 };

/** A stream delivering `chunks` (strings as UTF-8, or raw bytes) one by one, as a network would. */
function streamOf(...chunks: (string | Uint8Array)[]): ReadableStream<Uint8Array> {
	return new ReadableStream({
		start(controller) {
			for (const chunk of chunks)
				controller.enqueue(typeof chunk === "string" ? new TextEncoder().encode(chunk) : chunk);
			controller.close();
		},
	});
}

/** Every line split from `chunks`, and where reading stopped. */
async function split(chunks: (string | Uint8Array)[], limits = LIMITS): Promise<{ lines: Line[]; stop: Stop }> {
	const stop: Stop = { nextLine: -1 };
	const lines: Line[] = [];
	for await (const line of splitLines(streamOf(...chunks), limits, stop)) lines.push(line);
	return { lines, stop };
}

const text = (number: number, t: string): Line => ({ number, text: t, tooLong: false });

describe("splitLines", () => {
	it("splits across chunk boundaries, drops \\r before \\n and keeps a last line without a newline", async () => {
		const euro = new TextEncoder().encode("€");
		expect(await split(["ab", "c\r\n\nd", euro.subarray(0, 1), euro.subarray(1), "\ne"])).toEqual({
			lines: [text(1, "abc"), text(2, ""), text(3, "d€"), text(4, "e")],
			stop: { nextLine: null },
		});
	});

	it("reports a line over the limit as too long and carries on with the next", async () => {
		expect(await split(["12345", "6789\nok\n", "123456789"])).toEqual({
			lines: [{ number: 1, tooLong: true }, text(2, "ok"), { number: 3, tooLong: true }],
			stop: { nextLine: null },
		});
	});

	it("stops after the line limit, naming the first line left unread", async () => {
		const limits = { ...LIMITS, maxLines: 2 };
		expect(await split(["a\nb\nc\n"], limits)).toEqual({ lines: [text(1, "a"), text(2, "b")], stop: { nextLine: 3 } });
		expect(await split(["a\nb\n"], limits)).toEqual({ lines: [text(1, "a"), text(2, "b")], stop: { nextLine: null } });
	});

	it("stops at the byte limit before the line it cuts", async () => {
		const limits = { ...LIMITS, maxBytes: 7 };
		expect(await split(["a\nb\n", "cdefg\n"], limits)).toEqual({
			lines: [text(1, "a"), text(2, "b")],
			stop: { nextLine: 3 },
		});
		expect(await split(["abc\nd", "e\nfgh"], limits)).toEqual({
			lines: [text(1, "abc"), text(2, "de")],
			stop: { nextLine: 3 },
		});
	});
});
