import type { Context } from "hono";
import { z } from "zod";
import { parseDatetime } from "./datetime";
import { ApiError } from "./errors";

/** The longest name or other short text a field takes (characters): service, alias, environment, integration and person names, ids, filters. */
export const MAX_NAME = 255;

/** The longest id a field or filter takes (ours are UUIDs; this leaves room and refuses junk). */
export const MAX_ID = 64;

/** The contract's wording for a required field that is absent, null or blank. */
export const MISSING = "param is missing or the value is empty";

/** Pipelines send `""` or `null` for "not set"; both read as absent. */
const blankToAbsent = (value: unknown) =>
	value === null || (typeof value === "string" && value.trim() === "") ? undefined : value;

const trimmed = (value: unknown) => (typeof value === "string" ? value.trim() : value);

const typeError = (expected: string) => (issue: { input: unknown }) =>
	issue.input === undefined ? MISSING : `param must be ${expected}`;

/** A required string; `trim` drops surrounding white space (not for free text such as messages). */
export function requiredText({ max, trim = true }: { max: number; trim?: boolean }) {
	return z.preprocess(
		(v) => blankToAbsent(trim ? trimmed(v) : v),
		z.string({ error: typeError("a string") }).max(max, { error: `param is longer than ${max} characters` }),
	);
}

/** Makes any field optional, reading `null` and blank strings as absent. */
export function optional<S extends z.ZodType>(schema: S) {
	return z.preprocess(blankToAbsent, schema.optional());
}

export function optionalText(options: { max: number; trim?: boolean }) {
	return optional(requiredText(options));
}

/** The instants whose UTC year has four digits: `toISOString` writes the others as `+010000-01-01T…`. */
const FIRST_INSTANT = Date.parse("0000-01-01T00:00:00.000Z");
const LAST_INSTANT = Date.parse("9999-12-31T23:59:59.999Z");

/**
 * A date-time string (see `parseDatetime`), output as epoch milliseconds.
 * `fourDigitYear` refuses instants that an offset pushes out of the years
 * 0000–9999 in UTC (`9999-12-31T23:00:00-02:00`): stored, they would read back
 * in a form that `parseDatetime` itself refuses.
 */
export function requiredDatetime({ fourDigitYear = false }: { fourDigitYear?: boolean } = {}) {
	return requiredText({ max: 64 }).transform((text, ctx) => {
		const ms = parseDatetime(text);
		if (ms === null) {
			ctx.addIssue({ code: "custom", message: "param is not a valid ISO 8601 date-time" });
			return z.NEVER;
		}
		if (fourDigitYear && (ms < FIRST_INSTANT || ms > LAST_INSTANT)) {
			ctx.addIssue({ code: "custom", message: "param must fall within the years 0000 to 9999 in UTC" });
			return z.NEVER;
		}
		return ms;
	});
}

/** One of `values`; anything else is a 400 that lists them. */
export function oneOf<const Values extends readonly [string, ...string[]]>(values: Values) {
	return z.enum(values, { error: `param must be one of: ${values.join(", ")}` });
}

/** An object; absent, `null` or blank reads like any other missing field. */
export function object<Shape extends z.core.$ZodLooseShape>(shape: Shape) {
	return z.preprocess(blankToAbsent, z.object(shape, { error: typeError("an object") }));
}

/** A time window's `from` must come before its `to`; either may be open. */
export function checkWindow(from: number | undefined, to: number | undefined): void {
	if (from !== undefined && to !== undefined && from >= to) {
		throw ApiError.of(400, "From Error", "param must be earlier than to: from");
	}
}

/** Parses `input` with `schema`, or throws one 400 listing every invalid field. */
export function validate<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
	const result = schema.safeParse(input);
	if (result.success) return result.data;
	throw ApiError.invalid(result.error.issues);
}

/**
 * How deep a JSON body may nest arrays and objects (a deploy needs 2). 512 KiB
 * of `[` is half a million levels: JSON.parse alone copes, but JSON.parse with
 * a reviver and JSON.stringify recurse, and overflow the stack a few thousand
 * levels down, so deeper bodies are refused before they are parsed.
 */
export const MAX_JSON_DEPTH = 32;

/**
 * The request body as JSON, whatever content type it declares (`curl -d` says
 * form-encoded). An empty body is `undefined`, which schemas read as missing.
 * Too deep a body is a 400 naming where; lone surrogates (`"\ud800"`), which
 * have no UTF-8 form and would be stored as mojibake, are read as U+FFFD, so
 * what is stored reads back as what was accepted.
 */
export async function readJson(c: Context): Promise<unknown> {
	// Decoded by hand: workerd warns when .text() meets a body labelled as a form.
	return parseJson(new TextDecoder().decode(await c.req.arrayBuffer()));
}

/** `text` read as `readJson` reads a body, with the same errors: an import reads each NDJSON line so. */
export function parseJson(text: string): unknown {
	if (text.trim() === "") return undefined;
	const path = tooDeep(text, MAX_JSON_DEPTH);
	if (path !== undefined) {
		throw ApiError.of(
			400,
			"Body Error",
			`request body nests deeper than ${MAX_JSON_DEPTH} levels of arrays and objects, at ${path || "the top"}`,
		);
	}
	// Only an escape can make a lone surrogate (TextDecoder already replaced bad bytes), so most bodies skip the reviver.
	const reviver = SURROGATE_ESCAPE.test(text) ? toWellFormed : undefined;
	try {
		return JSON.parse(text, reviver);
	} catch (error) {
		throw ApiError.of(400, "Body Error", `request body is not valid JSON: ${(error as Error).message}`);
	}
}

const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

const toWellFormed = (_key: string, value: unknown) => (typeof value === "string" ? value.toWellFormed() : value);

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;

/** Keys in a depth error's path are cut to this many characters: the path names a place, it need not quote it. */
const PATH_KEY_CHARS = 40;

type Level = { array: boolean; index: number; keyFrom: number; keyTo: number };

/**
 * Where `text` first opens an array or object nested deeper than `max`, as a
 * dotted path like the field errors' (`commit.parents.0.0`), or undefined when
 * it never does. One pass over the raw text that skips strings (escapes
 * included) and never recurses, so it is safe on any input, malformed JSON too;
 * JSON.parse judges the rest.
 */
function tooDeep(text: string, max: number): string | undefined {
	const levels: Level[] = [];
	// Inside an object, whether the next string is a key.
	let expectKey = false;
	for (let i = 0; i < text.length; i++) {
		const c = text.charCodeAt(i);
		if (c === QUOTE) {
			const from = i;
			for (i++; i < text.length; i++) {
				const d = text.charCodeAt(i);
				if (d === BACKSLASH) i++;
				else if (d === QUOTE) break;
			}
			const top = levels.at(-1);
			if (expectKey && top && !top.array) {
				top.keyFrom = from;
				top.keyTo = i + 1;
			}
			expectKey = false;
		} else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
			if (levels.length >= max) return pathOf(text, levels);
			levels.push({ array: c === OPEN_BRACKET, index: 0, keyFrom: -1, keyTo: -1 });
			expectKey = c === OPEN_BRACE;
		} else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
			levels.pop();
			expectKey = false;
		} else if (c === COMMA) {
			const top = levels.at(-1);
			if (top?.array) top.index++;
			else if (top) expectKey = true;
		}
	}
	return undefined;
}

function pathOf(text: string, levels: readonly Level[]): string {
	return levels
		.map((level) => {
			if (level.array) return String(level.index);
			if (level.keyFrom < 0) return "?";
			const raw = text.slice(level.keyFrom, level.keyTo);
			let key: string;
			try {
				key = String(JSON.parse(raw));
			} catch {
				key = raw;
			}
			return key.length > PATH_KEY_CHARS ? `${key.slice(0, PATH_KEY_CHARS)}…` : key;
		})
		.join(".")
		.toWellFormed();
}
