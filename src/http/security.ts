/**
 * The pages' Content Security Policy: nothing from elsewhere, no inline script
 * or style. The UI uses it as it is; the API reference starts from it.
 */
export const PAGE_POLICY = {
	defaultSrc: ["'none'"],
	scriptSrc: ["'self'"],
	styleSrc: ["'self'"],
	imgSrc: ["'self'", "data:"],
	connectSrc: ["'self'"],
	formAction: ["'self'"],
	frameAncestors: ["'none'"],
	baseUri: ["'none'"],
};
