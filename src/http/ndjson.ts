/** One line of an NDJSON body: its text, or `tooLong` when it passed the line limit (its bytes were dropped unread). */
export type Line = { number: number; text: string; tooLong: false } | { number: number; tooLong: true };

/** Where `splitLines` stopped: the number of the first line it did not read, or null when it read the whole body. */
export type Stop = { nextLine: number | null };

const NEWLINE = 0x0a;

/**
 * The lines of a byte stream, numbered from 1, without holding more than one
 * line (at most `maxLineBytes`) in memory. A line longer than that is yielded
 * as `tooLong` and skipped to its newline. Reading stops after `maxLines`
 * lines or `maxBytes` bytes; `stop.nextLine` then names the first line left
 * unread (a line cut by the byte limit counts as unread). A trailing `\r` is
 * dropped; bytes that are not UTF-8 read as U+FFFD.
 */
export async function* splitLines(
	body: ReadableStream<Uint8Array>,
	limits: { maxLineBytes: number; maxLines: number; maxBytes: number },
	stop: Stop,
): AsyncGenerator<Line> {
	const decoder = new TextDecoder();
	let parts: Uint8Array[] = [];
	let size = 0;
	let tooLong = false;
	let number = 1;
	let read = 0;
	const line = (): Line => {
		if (tooLong) return { number, tooLong: true };
		const bytes = new Uint8Array(size);
		let at = 0;
		for (const part of parts) {
			bytes.set(part, at);
			at += part.length;
		}
		const text = decoder.decode(bytes);
		return { number, text: text.endsWith("\r") ? text.slice(0, -1) : text, tooLong: false };
	};
	const take = (bytes: Uint8Array) => {
		if (tooLong) return;
		if (size + bytes.length > limits.maxLineBytes) {
			tooLong = true;
			parts = [];
			size = 0;
			return;
		}
		parts.push(bytes);
		size += bytes.length;
	};
	stop.nextLine = null;
	const reader = body.getReader();
	try {
		for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
			let bytes = chunk.value;
			if (read + bytes.length > limits.maxBytes) {
				// Only whole lines within the limit are read; the one it cuts is left for the next request.
				bytes = bytes.subarray(0, limits.maxBytes - read);
				const end = bytes.lastIndexOf(NEWLINE);
				bytes = bytes.subarray(0, end + 1);
				stop.nextLine = number + count(bytes);
			}
			read += bytes.length;
			let from = 0;
			for (let end = bytes.indexOf(NEWLINE); end >= 0; end = bytes.indexOf(NEWLINE, from)) {
				take(bytes.subarray(from, end));
				yield line();
				number++;
				parts = [];
				size = 0;
				tooLong = false;
				from = end + 1;
				if (number > limits.maxLines) {
					stop.nextLine = rest(bytes, from) || (await more(reader)) ? number : null;
					return;
				}
			}
			if (stop.nextLine !== null) return;
			take(bytes.subarray(from));
		}
		if (size > 0 || tooLong) yield line();
	} finally {
		await reader.cancel().catch(() => undefined);
	}
}

const count = (bytes: Uint8Array) => bytes.reduce((n, b) => (b === NEWLINE ? n + 1 : n), 0);

const rest = (bytes: Uint8Array, from: number) => from < bytes.length;

/** Whether the stream holds anything more (after the line limit: whether lines were left unread). */
async function more(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<boolean> {
	for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
		if (chunk.value.length > 0) return true;
	}
	return false;
}
