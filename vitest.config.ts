import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { configDefaults, defineConfig } from "vitest/config";

/**
 * What the Worker logs when a test breaks something on purpose: a D1 or ledger
 * write refused by an injected trigger, a table renamed away, every Durable
 * Object reset. Those logs are expected, so they are kept out of the output;
 * anything else the Worker logs still shows.
 */
const INJECTED_FAILURE =
	/injected (D1|storage|queue) failure|audit log down|abortAllDurableObjects|no such table: (aliases|entries)\b/;

export default defineConfig(async () => ({
	plugins: [
		cloudflareTest({
			wrangler: { configPath: "./wrangler.toml" },
			miniflare: {
				// An empty database of its own, for the tests that apply the migrations step by step.
				// A second, for the read replica that lags behind the primary (test/api/bookmarks.test.ts).
				d1Databases: { MIGRATION_DB: "migration-test", LAGGING_REPLICA: "lagging-replica-test" },
				bindings: {
					ADMIN_TOKEN: "test-admin-token",
					// Tests run mid-rotation: both tokens are in force (see test/api/audit.test.ts).
					ADMIN_TOKEN_PREVIOUS: "test-previous-admin-token",
					// The real migrations, applied by test/setup.ts exactly as wrangler would.
					TEST_MIGRATIONS: await readD1Migrations("./migrations"),
					// A failed notification is retried a second later, not thirty (test/notifications/).
					NOTIFICATIONS_RETRY_SECONDS: "1",
					// Replaying a fuzz run (test/webhook/fuzz.test.ts): workerd has no process.env of the shell.
					FUZZ_SEED: process.env.FUZZ_SEED ?? "",
					FUZZ_RUNS: process.env.FUZZ_RUNS ?? "",
					FUZZ_PATH: process.env.FUZZ_PATH ?? "",
				},
			},
		}),
	],
	test: {
		onConsoleLog: (log: string) => !INJECTED_FAILURE.test(log),
		setupFiles: ["./test/setup.ts"],
		// The browser suite runs in Node against wrangler dev: `npm run test:e2e` (vitest.e2e.config.ts).
		exclude: [...configDefaults.exclude, "test/e2e/**"],
		// A guard against hangs, not a speed goal (those live in the benchmark): on a busy
		// two-core machine a test that posts sixty deploys can need more than the default 5 s.
		testTimeout: 20_000,
	},
}));
