/**
 * RETENTION_DAYS as a number of days, or undefined to keep everything: unset
 * or empty means forever. Anything else that is not a positive whole number is
 * a mistake, not a wish, so it is refused loudly and nothing is purged: a typo
 * must never delete history.
 */
export function retentionDays(raw: string | undefined): number | undefined {
	const text = raw?.trim() ?? "";
	if (text === "") return undefined;
	const days = /^\d+$/.test(text) ? Number(text) : Number.NaN;
	if (Number.isSafeInteger(days) && days > 0) return days;
	console.warn(
		`RETENTION_DAYS must be a positive whole number of days, such as "90"; got ${JSON.stringify(raw)}. Nothing is purged until it is fixed.`,
	);
	return undefined;
}

/**
 * An upper bound for ids made before `at`: deploy and ledger ids are UUIDv7s
 * whose first 12 hex digits are the millisecond they were made, never earlier
 * than the deploy's `received_at` (see db/ids.ts). So `id < idsBefore(t)`
 * implies `received_at < t`, and lets the purge walk the primary key instead
 * of needing an index on `received_at`, which every ingest would pay for.
 */
export function idsBefore(at: number): string {
	const ms = Math.min(Math.max(Math.floor(at), 0), 2 ** 48 - 1);
	const hex = ms.toString(16).padStart(12, "0");
	return `${hex.slice(0, 8)}-${hex.slice(8)}`;
}
