import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

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
	},
}));
