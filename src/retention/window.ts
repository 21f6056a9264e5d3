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
