// Vitest's global setup for the browser suite: one `wrangler dev` on a
// throwaway database (the benchmark's sandbox), migrated, with its own admin
// token, on a free port. Its URL and token reach the tests through inject().
// Teardown stops it and removes the directory however the run ends.

import { randomBytes } from "node:crypto";
import { Sandbox } from "../../bench/sandbox.mjs";

/** @param {import("vitest/node").TestProject} project */
export default async function setup(project) {
	const major = Number(process.versions.node.split(".")[0]);
	if (major < 22) throw new Error(`Node ${process.version} is too old for wrangler: run \`npm run test:e2e\` instead`);

	const sandbox = await Sandbox.create({ prefix: "deploy-tracker-e2e-" });
	// Last resort if the run dies without teardown (an uncaught error, a second Ctrl-C).
	const onExit = () => sandbox.disposeSync();
	process.once("exit", onExit);
	try {
		const adminToken = `e2e-${randomBytes(12).toString("hex")}`;
		await sandbox.migrate();
		// localhost, not 127.0.0.1: Chrome treats it as a secure context and keeps the Secure session cookie.
		// Notifications may go to the suite's local receivers (plain http on 127.0.0.1), retried after a second.
		const vars = { NOTIFICATIONS_ALLOW_HTTP: "localhost", NOTIFICATIONS_RETRY_SECONDS: "1" };
		const baseUrl = await sandbox.startDevServer({ adminToken, hostname: "localhost", vars });
		project.provide("baseUrl", baseUrl);
		project.provide("adminToken", adminToken);
	} catch (error) {
		await sandbox.dispose();
		process.off("exit", onExit);
		throw error;
	}
	return async () => {
		await sandbox.dispose();
		process.off("exit", onExit);
	};
}
