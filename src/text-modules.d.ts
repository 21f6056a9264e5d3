/** Files bundled as text (see the `rules` in wrangler.toml). */
declare module "*.sh" {
	const text: string;
	export default text;
}

/** Scalar's browser bundle (the API reference's viewer), a JavaScript file bundled as text to be served. */
declare module "*/@scalar/api-reference/dist/browser/standalone.js" {
	const text: string;
	export default text;
}
