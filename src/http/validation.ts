import type { Context } from "hono";
import { z } from "zod";
import { parseDatetime } from "./datetime";
import { ApiError } from "./errors";

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

/** A date-time string (see `parseDatetime`), output as epoch milliseconds. */
export function requiredDatetime() {
	return requiredText({ max: 64 }).transform((text, ctx) => {
		const ms = parseDatetime(text);
		if (ms === null) {
			ctx.addIssue({ code: "custom", message: "param is not a valid ISO 8601 date-time" });
			return z.NEVER;
		}
		return ms;
	});
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
 * The request body as JSON, whatever content type it declares (`curl -d` says
 * form-encoded). An empty body is `undefined`, which schemas read as missing.
 */
export async function readJson(c: Context): Promise<unknown> {
	// Decoded by hand: workerd warns when .text() meets a body labelled as a form.
	const text = new TextDecoder().decode(await c.req.arrayBuffer());
	if (text.trim() === "") return undefined;
	try {
		return JSON.parse(text);
	} catch (error) {
		throw ApiError.of(400, "Body Error", `request body is not valid JSON: ${(error as Error).message}`);
	}
}
