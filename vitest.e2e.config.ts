import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * The newcomer's journey runs first, on the still empty database it checks
 * ("No integrations yet"); the reporter and CI-setup tests then add their own
 * deploys to the same server. Vitest would otherwise order files by past durations.
 */
class JourneyFirst extends BaseSequencer {
	override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
		const sorted = await super.sort(files);
		const isJourney = (f: TestSpecification) => f.moduleId.endsWith("/journey.test.mjs");
		return [...sorted.filter(isJourney), ...sorted.filter((f) => !isJourney(f))];
	}
}

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
		sequence: { sequencer: JourneyFirst },
		// Each step drives a browser through a few page loads; starting one takes seconds.
		testTimeout: 60_000,
		hookTimeout: 60_000,
	},
});
