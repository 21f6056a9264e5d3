// scripts/import.mjs against the real worker under `wrangler dev`: a file
// imported one line per request, interrupted, resumed, and imported again.

import { spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { baseUrl, deploysOf, newIntegration, ROOT, run, tempDir } from "./pipelines.mjs";

const CLI = join(ROOT, "scripts/import.mjs");
const LINES = 24;
const BAD_LINE = 10;
const adminToken = inject("adminToken");

/** The file's lines: webhook bodies, one of them not JSON. */
function fileLines() {
	return Array.from({ length: LINES }, (_, i) =>
		i + 1 === BAD_LINE
			? "{oops"
			: JSON.stringify({
					service: "import-e2e",
					description: `deploy ${i + 1}`,
					deployed_at: `2024-01-01T00:00:${String(i).padStart(2, "0")}Z`,
					deployer: { email: "importer@example.com" },
					dedup_id: `import-e2e-${i + 1}`,
				}),
	);
}

/**
 * The CLI's arguments for `file`; the token goes in the environment, as the README advises.
 * @param {string} file @param {string} integrationId
 */
const args = (file, integrationId) => [
	CLI,
	file,
	"--url",
	baseUrl,
	"--integration",
	integrationId,
	"--lines-per-request",
	"1",
];
const env = { ...process.env, DEPLOY_TRACKER_TOKEN: adminToken };

/**
 * Polls until the progress file says at least `line` lines are confirmed.
 * @param {string} path @param {number} line
 */
async function progressPast(path, line) {
	for (let look = 0; look < 300; look++) {
		const saved = await readFile(path, "utf8").catch(() => "");
		if (saved && JSON.parse(saved).line >= line) return;
		await new Promise((resolve) => setTimeout(resolve, 50));
	}
	throw new Error(`${path} never passed line ${line}`);
}

describe("npm run import", () => {
	/** @type {{ dir: string, remove: () => Promise<void> }} */
	let temp;
	beforeAll(async () => {
		temp = await tempDir();
	});
	afterAll(() => temp.remove());

	it("imports a file, resumes after an interruption, and a second import finds every line a duplicate", async () => {
		const integration = await newIntegration();
		const file = join(temp.dir, "history.ndjson");
		await writeFile(file, `${fileLines().join("\n")}\n`);

		const child = spawn(process.execPath, args(file, integration.id), { env, stdio: ["ignore", "pipe", "pipe"] });
		const exited = new Promise((resolve) => child.once("close", resolve));
		await progressPast(`${file}.progress`, 3);
		child.kill("SIGINT");
		expect(await exited).toBe(130);
		const saved = JSON.parse(await readFile(`${file}.progress`, "utf8"));
		expect(saved.line).toBeLessThan(LINES);
		// Where it stopped and what it counted, never how it signed in or where to.
		expect(Object.keys(saved).sort()).toEqual(["counts", "line", "mtimeMs", "offset", "size"]);
		expect(JSON.stringify(saved)).not.toContain(adminToken);

		const resumed = await run(process.execPath, args(file, integration.id), { cwd: ROOT, env });
		expect(resumed.code, resumed.stderr).toBe(0);
		expect(resumed.stderr).toContain(`resuming after line ${saved.line}`);
		expect(resumed.stderr).toContain(`line ${BAD_LINE}: request body is not valid JSON`);
		expect(resumed.stdout).toMatch(
			new RegExp(`^imported .*: ${LINES} lines, ${LINES - 1} accepted, 0 duplicate, 1 invalid;`),
		);
		expect((await deploysOf(integration.id)).map((d) => d.description).sort()).toEqual(
			fileLines()
				.filter((_, i) => i + 1 !== BAD_LINE)
				.map((line) => JSON.parse(line).description)
				.sort(),
		);

		const again = await run(process.execPath, args(file, integration.id), { cwd: ROOT, env });
		expect(again.code, again.stderr).toBe(0);
		expect(again.stdout).toMatch(new RegExp(`: ${LINES} lines, 0 accepted, ${LINES - 1} duplicate, 1 invalid;`));
		expect(`${again.stdout}${again.stderr}${resumed.stderr}`).not.toContain(adminToken);
	});
});
