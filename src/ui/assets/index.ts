import apiReference from "../../../node_modules/@scalar/api-reference/dist/browser/standalone.js";
import { script } from "./script";
import { stylesheet } from "./stylesheet";

/** FNV-1a, enough to tell versions of a file apart in its URL. */
function fingerprint(text: string): string {
	let hash = 0x811c9dc5;
	for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
	return (hash >>> 0).toString(36);
}

/** Hashed on first use: 4 MB at every isolate start would slow every cold request. */
let apiReferenceVersion: string | undefined;

/**
 * The UI's static files, served by the Worker itself (no CDN, no build step).
 * Their URLs carry a fingerprint, so browsers may cache them for good.
 */
export const assets = {
	stylesheet: { path: "/ui/style.css", version: fingerprint(stylesheet), type: "text/css", body: stylesheet },
	script: { path: "/ui/app.js", version: fingerprint(script), type: "text/javascript", body: script },
	/** The viewer of the API reference at /api/docs (Scalar, pinned in package.json). */
	apiReference: {
		path: "/ui/api-reference.js",
		get version() {
			apiReferenceVersion ??= fingerprint(apiReference);
			return apiReferenceVersion;
		},
		type: "text/javascript",
		body: apiReference,
	},
} as const;

export const assetUrl = (asset: (typeof assets)[keyof typeof assets]) => `${asset.path}?v=${asset.version}`;
