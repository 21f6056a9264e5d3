// `npm run import -- FILE --url URL [--token TOKEN] [--integration ID]`: imports
// an NDJSON file (the tracker's own export, or Custom Deploy webhook bodies one
// per line) through POST /api/deploys/import, in requests under the server's
// limits, with a progress bar on a terminal (a line every few seconds otherwise).
//
// Resumable: after each answered request, FILE.progress records how far the
// server has confirmed (a byte offset and a line number, and the counts so
// far; never the token or the URL), and a second run carries on from there.
// It is removed once the whole file is in. Re-importing is safe anyway: lines
// already imported come back as duplicates.
//
// The token comes from --token or DEPLOY_TRACKER_TOKEN (which keeps it out of
// the shell's history); it needs the admin role. Exits 0 when every line was
// answered (invalid lines are listed on stderr), 1 on a failure, 130 when interrupted.

import { open, readFile, rm, stat, writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";

/** Per request, under the server's 10,000 lines and 10 MiB (see src/api/imports.ts). */
const DEFAULT_LINES = 2_000;
const REQUEST_BYTES = 8 * 1024 * 1024;
/** A line longer than this cannot be a deploy (the webhook's body limit); it is reported without being sent. */
const MAX_LINE_BYTES = 512 * 1024;
const READ_BYTES = 1024 * 1024;
/** Invalid lines listed on stderr per run; the counts include them all. */
const SHOWN_INVALID = 20;
const PLAIN_PROGRESS_MS = 5_000;
const RETRIES = 3;

/** @typedef {{ accepted: number, duplicate: number, invalid: number }} Counts */
/** @typedef {{ size: number, mtimeMs: number, offset: number, line: number, counts: Counts }} Progress */
/** @typedef {{ line: number, result: keyof Counts, errors?: { detail: string }[] }} LineResult */
/** @typedef {{ lines: LineResult[], next_line: number | null }} Answer the server's answer, less its counts */
/** @typedef {{ number: number, end: number, bytes: Buffer | null }} PendingLine `bytes` null: over the line limit */

class UsageError extends Error {}

function options() {
	const { values, positionals } = parseArgs({
		allowPositionals: true,
		options: {
			url: { type: "string" },
			token: { type: "string" },
			integration: { type: "string" },
			"lines-per-request": { type: "string" },
			restart: { type: "boolean", default: false },
		},
	});
	const [file, ...extra] = positionals;
	const token = values.token ?? process.env.DEPLOY_TRACKER_TOKEN;
	if (!file || extra.length > 0 || !values.url || !token) {
		throw new UsageError(
			"usage: npm run import -- FILE --url URL [--token TOKEN | DEPLOY_TRACKER_TOKEN=…] [--integration ID] [--lines-per-request N] [--restart]",
		);
	}
	const lines = Number(values["lines-per-request"] ?? DEFAULT_LINES);
	if (!Number.isInteger(lines) || lines < 1 || lines > 10_000)
		throw new UsageError("--lines-per-request must be 1 to 10000");
	const endpoint = new URL("/api/deploys/import", values.url);
	if (values.integration) endpoint.searchParams.set("integration_id", values.integration);
	return { file, token, endpoint, linesPerRequest: lines, restart: values.restart };
}

/**
 * Where a run starts: the saved progress if it belongs to this very file (same
 * size and modification time), else the beginning.
 * @param {string} path @param {{ size: number, mtimeMs: number }} file @param {boolean} restart
 * @returns {Promise<Progress>}
 */
async function startingPoint(path, file, restart) {
	const fresh = {
		size: file.size,
		mtimeMs: file.mtimeMs,
		offset: 0,
		line: 0,
		counts: { accepted: 0, duplicate: 0, invalid: 0 },
	};
	if (restart) return fresh;
	/** @type {Progress} */
	let saved;
	try {
		saved = JSON.parse(await readFile(path, "utf8"));
	} catch {
		return fresh;
	}
	if (saved.size === file.size && saved.mtimeMs === file.mtimeMs) return saved;
	process.stderr.write(`${path} is for another version of the file; starting from the beginning\n`);
	return fresh;
}

/**
 * The file's lines from `offset` on, in requests of at most `maxLines` lines
 * and REQUEST_BYTES bytes. Each line carries its number and the offset just past it.
 * @param {import("node:fs/promises").FileHandle} handle @param {Progress} from @param {number} maxLines
 * @returns {AsyncGenerator<PendingLine[]>}
 */
async function* requests(handle, from, maxLines) {
	let offset = from.offset;
	let number = from.line + 1;
	/** @type {Buffer[]} */
	let parts = [];
	let size = 0;
	/** @type {PendingLine[]} */
	let batch = [];
	let batchBytes = 0;
	const buffer = Buffer.alloc(READ_BYTES);
	for (;;) {
		const { bytesRead } = await handle.read(buffer, 0, READ_BYTES, offset);
		const chunk = buffer.subarray(0, bytesRead);
		let start = 0;
		const done = bytesRead === 0;
		for (let nl = chunk.indexOf(10); nl >= 0 || (done && size > 0); nl = chunk.indexOf(10, start)) {
			const piece = nl >= 0 ? chunk.subarray(start, nl) : Buffer.alloc(0);
			size += piece.length;
			if (size <= MAX_LINE_BYTES) parts.push(Buffer.from(piece));
			const line = {
				number,
				end: offset + (nl >= 0 ? nl + 1 : 0),
				bytes: size <= MAX_LINE_BYTES ? Buffer.concat(parts) : null,
			};
			const bytes = (line.bytes?.length ?? 0) + 1;
			if (batch.length >= maxLines || batchBytes + bytes > REQUEST_BYTES) {
				yield batch;
				batch = [];
				batchBytes = 0;
			}
			batch.push(line);
			batchBytes += bytes;
			number++;
			parts = [];
			size = 0;
			if (nl < 0) break;
			start = nl + 1;
		}
		if (done) break;
		const rest = chunk.subarray(start);
		size += rest.length;
		if (rest.length > 0 && size <= MAX_LINE_BYTES) parts.push(Buffer.from(rest));
		offset += bytesRead;
	}
	if (batch.length > 0) yield batch;
}

/**
 * Sends one request's lines, retrying what may be passing trouble (the network,
 * a 5xx); answers the results with the file's line numbers.
 * @param {URL} endpoint @param {string} token @param {PendingLine[]} batch
 * @returns {Promise<Answer>}
 */
async function send(endpoint, token, batch) {
	const sendable = batch.map((line) => line.bytes ?? Buffer.alloc(0));
	const body = Buffer.concat(sendable.flatMap((bytes) => [bytes, Buffer.from("\n")]));
	const first = batch[0]?.number ?? 1;
	for (let attempt = 0; ; attempt++) {
		let response;
		try {
			response = await fetch(endpoint, {
				method: "POST",
				headers: { authorization: `Bearer ${token}`, "content-type": "application/x-ndjson" },
				body,
			});
		} catch (error) {
			if (attempt >= RETRIES) throw new Error(`the server could not be reached: ${String(error)}`);
			await new Promise((resolve) => setTimeout(resolve, 1000 * 2 ** attempt));
			continue;
		}
		if (response.status >= 500 && attempt < RETRIES) continue;
		const text = await response.text();
		if (response.status !== 200) throw new Error(`the server answered ${response.status}: ${text.slice(0, 500)}`);
		/** @type {Answer} */
		const answer = JSON.parse(text);
		const tooLong = batch.filter((line) => line.bytes === null).map((line) => line.number - first + 1);
		return {
			// A line too long to send went as a blank line, which the server skips; it is invalid.
			lines: answer.lines
				.concat(
					tooLong.map((line) => ({
						line,
						result: "invalid",
						errors: [{ detail: `line is larger than ${MAX_LINE_BYTES} bytes` }],
					})),
				)
				.map((r) => ({ ...r, line: r.line + first - 1 })),
			next_line: answer.next_line === null ? null : answer.next_line + first - 1,
		};
	}
}

/** Draws progress: a bar on a terminal, a plain line every few seconds otherwise. */
class Meter {
	/** @param {number} total bytes */
	constructor(total) {
		this.total = total;
		this.started = performance.now();
		this.linesThisRun = 0;
		this.lastPlain = 0;
		this.tty = Boolean(process.stderr.isTTY);
	}

	/** @param {Progress} progress @param {boolean} [final] */
	show(progress, final = false) {
		const seconds = (performance.now() - this.started) / 1000;
		const rate = seconds > 0 ? Math.round(this.linesThisRun / seconds) : 0;
		const share = this.total > 0 ? progress.offset / this.total : 1;
		const { accepted, duplicate, invalid } = progress.counts;
		const counts = `line ${progress.line.toLocaleString("en")}: ${accepted} accepted, ${duplicate} duplicate, ${invalid} invalid; ${rate} lines/s`;
		if (this.tty) {
			const width = 24;
			const bar = "#".repeat(Math.round(share * width)).padEnd(width, "-");
			process.stderr.write(`\r\x1b[K[${bar}] ${(share * 100).toFixed(0).padStart(3)}% ${counts}${final ? "\n" : ""}`);
		} else if (final || performance.now() - this.lastPlain >= PLAIN_PROGRESS_MS) {
			this.lastPlain = performance.now();
			process.stderr.write(`${(share * 100).toFixed(0)}% ${counts}\n`);
		}
	}

	/** @param {string} text */
	note(text) {
		process.stderr.write(`${this.tty ? "\r\x1b[K" : ""}${text}\n`);
	}
}

async function main() {
	const { file, token, endpoint, linesPerRequest, restart } = options();
	const statePath = `${file}.progress`;
	const progress = await startingPoint(statePath, await stat(file), restart);
	const meter = new Meter(progress.size);
	if (progress.line > 0) meter.note(`resuming after line ${progress.line} (${statePath})`);
	let shown = 0;
	let interrupted = false;
	process.once("SIGINT", () => {
		interrupted = true;
	});
	const handle = await open(file, "r");
	try {
		for await (let batch of requests(handle, progress, linesPerRequest)) {
			while (batch.length > 0 && !interrupted) {
				const answer = await send(endpoint, token, batch);
				// What the server read is confirmed; the rest of the batch (if it stopped at a limit) goes again.
				const read = answer.next_line === null ? batch : batch.filter((line) => line.number < (answer.next_line ?? 0));
				batch = batch.slice(read.length);
				for (const r of answer.lines) {
					progress.counts[r.result]++;
					if (r.result === "invalid" && shown++ < SHOWN_INVALID) {
						meter.note(`line ${r.line}: ${(r.errors ?? []).map((e) => e.detail).join("; ")}`);
					}
				}
				const last = read.at(-1);
				if (last) Object.assign(progress, { offset: last.end, line: last.number });
				meter.linesThisRun += read.length;
				await writeFile(statePath, `${JSON.stringify(progress)}\n`);
				meter.show(progress);
			}
			if (interrupted) break;
		}
	} finally {
		await handle.close();
	}
	meter.show(progress, true);
	if (shown > SHOWN_INVALID) meter.note(`(${shown - SHOWN_INVALID} more invalid lines not listed)`);
	if (interrupted) {
		meter.note(`interrupted after line ${progress.line}; run the same command again to carry on`);
		process.exitCode = 130;
		return;
	}
	await rm(statePath, { force: true });
	const seconds = (performance.now() - meter.started) / 1000;
	const { accepted, duplicate, invalid } = progress.counts;
	process.stdout.write(
		`imported ${file}: ${progress.line} lines, ${accepted} accepted, ${duplicate} duplicate, ${invalid} invalid; this run ${meter.linesThisRun} lines in ${seconds.toFixed(1)} s (${Math.round(meter.linesThisRun / seconds)} lines/s)\n`,
	);
}

main().catch((error) => {
	process.stderr.write(`\nimport failed: ${error instanceof UsageError ? error.message : String(error)}\n`);
	if (!(error instanceof UsageError))
		process.stderr.write("what the server confirmed is saved; run again to carry on\n");
	process.exitCode = 1;
});
