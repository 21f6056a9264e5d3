/** Time spans in milliseconds, the unit of every timestamp here. */
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

/**
 * ISO 8601 date-times as CI pipelines really send them: `T` or a space between
 * date and time, optional seconds, 1–9 fractional digits, and `Z`, `±hh:mm`,
 * `±hhmm` or no offset at all (read as UTC, as in the reference payload's
 * `2019-02-01 13:28:33`). `git log --format=%ci` puts a space before the offset;
 * that is accepted too.
 */
const ISO_DATETIME =
	/^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?: ?([Zz])| ?([+-])(\d{2}):?(\d{2}))?$/;

function daysInMonth(year: number, month: number): number {
	// The Gregorian calendar repeats every 400 years, so 2000 + (year % 400) has the same months.
	return new Date(Date.UTC(2000 + (year % 400), month, 0)).getUTCDate();
}

/** Milliseconds since the epoch (UTC), or null when the text is not a real instant. */
export function parseDatetime(text: string): number | null {
	const match = ISO_DATETIME.exec(text.trim());
	if (!match) return null;
	const [, y, mo, d, h, mi, s = "0", fraction = "", , sign, offH = "0", offM = "0"] = match;
	const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number) as [
		number,
		number,
		number,
		number,
		number,
		number,
	];
	const [offsetHours, offsetMinutes] = [Number(offH), Number(offM)];
	const valid =
		month >= 1 &&
		month <= 12 &&
		day >= 1 &&
		day <= daysInMonth(year, month) &&
		hour <= 23 &&
		minute <= 59 &&
		second <= 59 &&
		offsetHours <= 23 &&
		offsetMinutes <= 59;
	if (!valid) return null;

	const instant = new Date(0);
	// setUTCFullYear, unlike Date.UTC, does not read years 0–99 as 1900–1999.
	instant.setUTCFullYear(year, month - 1, day);
	instant.setUTCHours(hour, minute, second, Number(fraction.padEnd(3, "0").slice(0, 3)));
	const offset = (sign === "-" ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * 60_000;
	return instant.getTime() - offset;
}

export function formatDatetime(ms: number): string {
	return new Date(ms).toISOString();
}

export function formatOptionalDatetime(ms: number | null): string | null {
	return ms === null ? null : formatDatetime(ms);
}
