// Types the suite's JavaScript cannot declare itself.

/** What the global setup (server.mjs) hands the tests through provide()/inject(). */
declare module "vitest" {
	export interface ProvidedContext {
		baseUrl: string;
		adminToken: string;
	}
}

declare global {
	/** axe-core, added to the page by the accessibility test's init script. */
	interface Window {
		axe: typeof import("axe-core");
	}
}

export {};
