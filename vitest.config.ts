import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig(async () => ({
	plugins: [
		cloudflareTest({
			wrangler: { configPath: "./wrangler.toml" },
			miniflare: {
				bindings: {
					ADMIN_TOKEN: "test-admin-token",
					// The real migrations, applied by test/setup.ts exactly as wrangler would.
					TEST_MIGRATIONS: await readD1Migrations("./migrations"),
				},
			},
		}),
	],
	test: {
		setupFiles: ["./test/setup.ts"],
		// The browser suite runs in Node against wrangler dev: `npm run test:e2e` (vitest.e2e.config.ts).
		exclude: [...configDefaults.exclude, "test/e2e/**"],
	},
}));
