/** Nested objects become prefixed columns: `{commit: {sha}}` → `commit_sha`. */
export function flatten(record: Record<string, unknown>, prefix = ""): Record<string, unknown> {
	const flat: Record<string, unknown> = {};
	for (const [key, value] of Object.entries(record)) {
		if (value !== null && typeof value === "object" && !Array.isArray(value)) {
			Object.assign(flat, flatten(value as Record<string, unknown>, `${prefix}${key}_`));
		} else {
			flat[`${prefix}${key}`] = value;
		}
	}
	return flat;
}

/**
 * One RFC 4180 line. Cells a spreadsheet would run as a formula (leading `=`,
 * `+`, `-`, `@`) get a leading `'`: deploy descriptions come from pipelines,
 * and an export is often opened in a spreadsheet.
 */
export function csvLine(cells: readonly unknown[]): string {
	return `${cells.map(csvCell).join(",")}\r\n`;
}

function csvCell(value: unknown): string {
	if (value === null || value === undefined) return "";
	let text = String(value);
	if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
	return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
