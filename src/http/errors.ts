import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** One entry of the JSON:API-style `errors` array every failure answers with. */
export type ErrorObject = { status: number; title: string; detail: string };

/** A failure that is the client's to fix (or ours to admit), carrying its error objects. */
export class ApiError extends Error {
	constructor(
		readonly status: ContentfulStatusCode,
		readonly errors: ErrorObject[],
		readonly headers: Record<string, string> = {},
	) {
		super(errors.map((e) => e.detail).join("; "));
	}

	static of(status: ContentfulStatusCode, title: string, detail: string, headers?: Record<string, string>) {
		return new ApiError(status, [{ status, title, detail }], headers);
	}

	/** One 400 listing every invalid field, as the webhook contract words them. */
	static invalid(issues: readonly Issue[]) {
		return new ApiError(400, issues.map(fieldError));
	}
}

/** Rails-style humanize, which the webhook contract's titles follow: `deployed_at` → `Deployed at`. */
function humanize(field: string): string {
	const words = field.replace(/[._]+/g, " ").trim();
	return words.charAt(0).toUpperCase() + words.slice(1);
}

type Issue = { message: string; path?: ReadonlyArray<PropertyKey | { key: PropertyKey }> | undefined };

/** A validation issue as the contract words it: title `<Field> Error`, detail `<message>: <field>`. */
function fieldError(issue: Issue): ErrorObject {
	const path = (issue.path ?? []).map((part) => String(typeof part === "object" ? part.key : part));
	const field = path.join(".") || "body";
	return { status: 400, title: `${humanize(field)} Error`, detail: `${issue.message}: ${field}` };
}

function respond(c: Context, error: ApiError) {
	return c.json({ errors: error.errors }, error.status, error.headers);
}

/** True for a D1 write refused by a UNIQUE index: another request got there first. */
export function isUniqueViolation(error: unknown): boolean {
	for (let e: unknown = error; e instanceof Error; e = e.cause) {
		if (e.message.includes("UNIQUE constraint failed")) return true;
	}
	return false;
}

/** Whether a write referred to a row (a service, say) that was deleted after the caller read it. */
function isForeignKeyViolation(error: unknown): boolean {
	for (let e: unknown = error; e instanceof Error; e = e.cause) {
		if (e.message.includes("FOREIGN KEY constraint failed")) return true;
	}
	return false;
}

/**
 * A lost race reads like the check that would have caught it: `conflict`. The
 * race is lost on a unique index (someone wrote first) or on a foreign key
 * (someone deleted what this write refers to).
 */
export async function orConflict<T>(write: Promise<T>, conflict: ApiError): Promise<T> {
	try {
		return await write;
	} catch (error) {
		throw isUniqueViolation(error) || isForeignKeyViolation(error) ? conflict : error;
	}
}

export const onError: ErrorHandler = (err, c) => {
	if (err instanceof ApiError) return respond(c, err);
	if (err instanceof HTTPException) {
		return respond(
			c,
			ApiError.of(err.status, err.message || "Request Error", err.message || "the request was refused"),
		);
	}
	console.error("unhandled error", c.req.method, new URL(c.req.url).pathname, err);
	return respond(
		c,
		ApiError.of(500, "Internal Server Error", "the server failed to handle this request; it is safe to retry"),
	);
};

export const notFound: NotFoundHandler = (c) =>
	respond(c, ApiError.of(404, "Not Found", `no route for ${c.req.method} ${new URL(c.req.url).pathname}`));
