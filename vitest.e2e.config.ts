import { defineConfig } from "vitest/config";

/**
 * `npm run test:e2e`: the browser suite. It runs in Node (not the workerd pool
 * of vitest.config.ts) and drives a real Chromium against `wrangler dev`,
 * which the global setup starts on a throwaway database and stops afterwards.
 * The same server takes the deploys that scripts/report-deploy.sh and the CI
 * setups in examples/ report when the reporter and examples tests run them (they
 * need sh, dash, bash, git and curl).
 *
 * Needs /usr/bin/chromium (`apt-get install chromium`; E2E_CHROMIUM names
 * another). Full-page screenshots of every page land in test/e2e/screenshots/;
 * `UPDATE_DOCS_SCREENSHOTS=1 npm run test:e2e` also retakes docs/*.png.
 */
export default defineConfig({
	test: {
		include: ["test/e2e/**/*.test.mjs"],
		environment: "node",
		globalSetup: ["./test/e2e/server.mjs"],
		// One server and one machine of two cores: files run one after another.
		fileParallelism: false,
		// Each step drives a browser through a few page loads; starting one takes seconds.
		testTimeout: 60_000,
		hookTimeout: 60_000,
	},
});
