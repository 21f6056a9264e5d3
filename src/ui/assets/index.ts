import { type Asset, fingerprint } from "../../http/assets";
import { script } from "./script";
import { stylesheet } from "./stylesheet";

/** The UI's static files. */
export const assets = {
	stylesheet: { path: "/ui/style.css", version: fingerprint(stylesheet), type: "text/css", body: stylesheet },
	script: { path: "/ui/app.js", version: fingerprint(script), type: "text/javascript", body: script },
} as const satisfies Record<string, Asset>;
