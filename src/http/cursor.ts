import { z } from "zod";
import { ApiError } from "./errors";
import { optional, optionalText } from "./validation";

/**
 * Opaque keyset cursors: the sort key of the last row a page showed, as
 * base64url JSON. Rows inserted meanwhile cannot shift a page, as offsets would.
 */
export function encodeCursor(key: readonly (string | number)[]): string {
	return btoa(JSON.stringify(key)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

export function decodeCursor<S extends z.ZodType>(cursor: string, shape: S): z.output<S> {
	let key: unknown;
	try {
		key = JSON.parse(atob(cursor.replaceAll("-", "+").replaceAll("_", "/")));
	} catch {
		key = undefined;
	}
	const parsed = shape.safeParse(key);
	if (!parsed.success) throw ApiError.of(400, "Cursor Error", "param is not a cursor this API returned: cursor");
	return parsed.data;
}

/** A list's paging parameters: `limit` (1 to `max`) and the `cursor` a previous page returned. */
export function pageParams(max: number) {
	const outOfRange = { error: `param must be between 1 and ${max}` };
	const whole = { error: "param must be a whole number" };
	return {
		limit: optional(z.coerce.number(whole).int(whole).min(1, outOfRange).max(max, outOfRange)),
		cursor: optionalText({ max: 512 }),
	};
}
