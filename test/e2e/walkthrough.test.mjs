// The README's walk-through, run as written: its two shell blocks, pasted into
// bash against a fresh `wrangler dev` of its own (the walk-through starts from an
// empty tracker), with only the address and the admin token swapped for the
// sandbox's. Each answer it prints is then checked, so the README cannot drift.

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Sandbox } from "../../bench/sandbox.mjs";
import { cleanEnv, ROOT, run, tempDir } from "./pipelines.mjs";

/** The `sh` blocks of the README's "Walk-through", in order. */
async function walkthroughBlocks() {
	const readme = await readFile(join(ROOT, "README.md"), "utf8");
	const section = readme.slice(
		readme.indexOf("### Walk-through"),
		readme.indexOf("\n## ", readme.indexOf("### Walk-through")),
	);
	return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] ?? "");
}

/** @type {Sandbox} */
let sandbox;
let baseUrl = "";
const TOKEN = "walkthrough-admin-token";

beforeAll(async () => {
	sandbox = await Sandbox.create({ prefix: "deploy-tracker-e2e-walkthrough-" });
	await sandbox.migrate();
	baseUrl = await sandbox.startDevServer({ adminToken: TOKEN, hostname: "localhost" });
});

afterAll(async () => {
	await sandbox?.dispose();
});

/** Each line the script printed that is JSON, parsed; `HTTP nnn` after a body is kept as `http`. */
const answers = (/** @type {string} */ stdout) =>
	stdout
		.split("\n")
		.filter((line) => line.startsWith("{"))
		.map((line) => {
			const [, body = line, http] = /^(.*?)(?: HTTP (\d{3}))?$/.exec(line) ?? [];
			return { ...JSON.parse(body), ...(http ? { http: Number(http) } : {}) };
		});

it("runs as written and answers every question with the deploys it reported", async () => {
	const blocks = await walkthroughBlocks();
	expect(blocks).toHaveLength(2);
	const script = blocks.join("\n").replaceAll("http://localhost:8787", baseUrl).replaceAll("dev-admin-token", TOKEN);
	const { dir, remove } = await tempDir();
	try {
		const { code, stdout, stderr } = await run("bash", ["-e", "-c", script], { cwd: dir, env: cleanEnv(dir) });
		expect({ code, stderr }).toEqual({ code: 0, stderr: "" });

		const [integration, first, again, ...rest] = answers(stdout);
		expect(integration).toMatchObject({
			name: "GitHub Actions",
			webhook_url: expect.stringContaining("/integrations/deploy/"),
		});
		expect([first, again].map((a) => [a.http, a.result])).toEqual([
			[202, "no_service_found"],
			[202, "duplicate_deploy"],
		]);
		const [reported, [environments, failures, tax, latest, metrics, people]] = [rest.slice(0, 3), rest.slice(3)];
		expect(reported).toEqual([0, 1, 2].map(() => ({ result: "ok", http: 202 })));

		expect(
			environments.environments.map((/** @type {any} */ e) => [e.environment, e.deploy.description, e.attempt]),
		).toEqual([["production", "Deploy of c7d8e9f", null]]);
		expect(failures.deploys.map((/** @type {any} */ d) => d.description)).toEqual(["Deploy of e4f5a6b"]);
		expect(tax.deploys).toHaveLength(4);
		expect(latest).toMatchObject({ description: "Deploy of c7d8e9f", status_history: [{ status: "success" }] });
		expect({
			total: metrics.deployment_frequency.total,
			lead: metrics.lead_time.count,
			failed: metrics.change_failure_rate.failed,
			restored: metrics.time_to_restore.count,
			restoreHours: Math.round(metrics.time_to_restore.median_seconds / 3600),
		}).toEqual({ total: 3, lead: 3, failed: 1, restored: 1, restoreHours: 1 });
		expect(people.people.map((/** @type {any} */ p) => [p.email, p.deploy_count])).toEqual([
			["michael@example.com", 4],
		]);

		const csv = await readFile(join(dir, "deploys.csv"), "utf8");
		expect(csv.trim().split("\n")).toHaveLength(5);
	} finally {
		await remove();
	}
});
