import type { D1Migration } from "cloudflare:test";

// Bindings only the tests have (vitest.config.ts); the Worker's own come from
// worker-configuration.d.ts, which also types the main module for `exports`.
declare global {
	namespace Cloudflare {
		interface Env {
			TEST_MIGRATIONS: D1Migration[];
			MIGRATION_DB: D1Database;
			LAGGING_REPLICA: D1Database;
		}
	}
}
