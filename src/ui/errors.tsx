import type { Context, ErrorHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ApiError, type ErrorObject } from "../http/errors";
import { FormErrors } from "./components";
import { Page } from "./layout";

function ErrorPage({ title, errors }: { title: string; errors: readonly ErrorObject[] }) {
	return (
		<Page title={title}>
			<h1>{title}</h1>
			<FormErrors errors={errors} />
			<p>
				<a href="/">Back to the start page</a>
			</p>
		</Page>
	);
}

const TITLES: Partial<Record<number, string>> = {
	400: "That request was not valid",
	403: "Refused",
	404: "Not found",
	409: "That changed meanwhile",
};

function errorPage(c: Context, status: ContentfulStatusCode, errors: readonly ErrorObject[]) {
	return c.html(<ErrorPage title={TITLES[status] ?? "Something went wrong"} errors={errors} />, status);
}

/** The UI's errors as pages: the same ApiErrors the JSON API answers with, shown to a person. */
export const renderError: ErrorHandler = (err, c) => {
	if (err instanceof ApiError) return errorPage(c, err.status, err.errors);
	if (err instanceof HTTPException && err.status === 403) {
		// Hono's CSRF guard: the form was not posted from one of our pages.
		const detail = "this form did not come from this site's own pages, so it was not accepted; reload and try again";
		return errorPage(c, 403, [{ status: 403, title: "Forbidden", detail }]);
	}
	if (err instanceof HTTPException) {
		return errorPage(c, err.status, [{ status: err.status, title: "Error", detail: err.message || "refused" }]);
	}
	console.error("unhandled error", c.req.method, new URL(c.req.url).pathname, err);
	return errorPage(c, 500, [
		{
			status: 500,
			title: "Internal Server Error",
			detail: "the server failed to handle this request; it is safe to retry",
		},
	]);
};

/** An unknown page, for browsers. */
export const pageNotFound = (c: Context) =>
	errorPage(c, 404, [
		{ status: 404, title: "Not Found", detail: `there is no page at ${new URL(c.req.url).pathname}` },
	]);
