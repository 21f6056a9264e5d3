import { hex } from "../model/hex";

// Deliberate module state: the last id's millisecond and counter, so that ids
// made in one isolate (one ledger Durable Object, say) sort in creation order
// even within a millisecond, when Workers' clock does not move.
let last = { ms: 0, seq: 0 };

/**
 * A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then a 12-bit counter
 * (monotonic per isolate), then random bits. Ordering by id orders by arrival.
 */
export function newId(now = Date.now()): string {
	if (now > last.ms) last = { ms: now, seq: 0 };
	else if (last.seq < 0xfff) last = { ms: last.ms, seq: last.seq + 1 };
	else last = { ms: last.ms + 1, seq: 0 };

	const bytes = crypto.getRandomValues(new Uint8Array(16));
	let ms = last.ms;
	for (let i = 5; i >= 0; i--) {
		bytes[i] = ms % 256;
		ms = Math.floor(ms / 256);
	}
	bytes[6] = 0x70 | (last.seq >> 8);
	bytes[7] = last.seq & 0xff;
	bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);
	const digits = hex(bytes);
	return `${digits.slice(0, 8)}-${digits.slice(8, 12)}-${digits.slice(12, 16)}-${digits.slice(16, 20)}-${digits.slice(20)}`;
}

/**
 * An upper bound for ids made before `at`: deploy and ledger ids are UUIDv7s
 * whose first 12 hex digits are the millisecond they were made, never earlier
 * than the deploy's `received_at` (see `newId`). So `id < idsBefore(t)`
 * implies `received_at < t`, and lets the purge walk the primary key instead
 * of needing an index on `received_at`, which every ingest would pay for.
 */
export function idsBefore(at: number): string {
	const ms = Math.min(Math.max(Math.floor(at), 0), 2 ** 48 - 1);
	const hex = ms.toString(16).padStart(12, "0");
	return `${hex.slice(0, 8)}-${hex.slice(8)}`;
}
