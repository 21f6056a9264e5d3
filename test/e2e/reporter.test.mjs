// scripts/report-deploy.sh against the real worker under `wrangler dev`: run
// by a POSIX shell (dash as /bin/sh here, and bash in POSIX mode) in a
// throwaway git repository, checked through the Management API.

import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
	api,
	baseUrl,
	cleanEnv,
	deploysOf,
	flakyProxy,
	gitRepo,
	newIntegration,
	onlyDeployOf,
	REPORTER,
	run,
	tempDir,
} from "./pipelines.mjs";

/**
 * Everything a commit message can hold that a hand-built JSON string gets
 * wrong: quotes, backslashes (one before an n, too), newlines, blank lines,
 * tabs, a carriage return, a control character, leading and trailing spaces,
 * shell syntax, non-ASCII letters and emoji, including a joined one.
 */
const MESSAGE = [
	`  Fix "quoted" and 'single' C:\\path\\new \\n not a newline`,
	"",
	"\tTabbed line\r",
	"Control \u0001 character, $(touch pwned) and `touch pwned` and $HOME",
	"ünïcödé ✓ 日本語 🚀 👩‍💻  ",
].join("\n");
const AUTHOR = { name: "Zoë Ünïcode", email: "zoe@example.com", date: "2026-01-02T03:04:05+01:00" };

/** GitHub Actions' variables for one job of one run. */
const GITHUB = {
	GITHUB_ACTIONS: "true",
	GITHUB_RUN_ID: "8812345678",
	GITHUB_RUN_ATTEMPT: "1",
	GITHUB_REPOSITORY: "acme/checkout",
	GITHUB_JOB: "deploy",
	GITHUB_ACTOR: "octocat",
	GITHUB_ACTOR_ID: "583231",
	GITHUB_SERVER_URL: "https://github.com",
};

/** @type {{ dir: string, remove: () => Promise<void> }} */
let repo;
/** @type {{ dir: string, remove: () => Promise<void> }} */
let home;
let sha = "";

beforeAll(async () => {
	[repo, home] = await Promise.all([tempDir(), tempDir()]);
	sha = await gitRepo(repo.dir, { message: MESSAGE, author: AUTHOR });
});

afterAll(async () => {
	await Promise.all([repo?.remove(), home?.remove()]);
});

/**
 * Runs the reporter with `shell` in the repository.
 * @param {string[]} args
 * @param {{ env?: Record<string, string>, shell?: string[] }} [options]
 */
function report(args, { env = {}, shell = ["sh"] } = {}) {
	const [command = "sh", ...shellArgs] = shell;
	return run(command, [...shellArgs, REPORTER, ...args], { cwd: repo.dir, env: cleanEnv(home.dir, env) });
}

describe("a deploy from a git checkout", () => {
	it("is plain POSIX sh: dash parses it", async () => {
		const result = await run("dash", ["-n", REPORTER], { cwd: repo.dir, env: cleanEnv(home.dir) });
		expect(result).toEqual({ code: 0, stdout: "", stderr: "" });
	});

	it.each([
		["sh", ["sh"]],
		["bash --posix", ["bash", "--posix"]],
	])("is accepted with the commit's fields, the message byte for byte (%s)", async (_name, shell) => {
		const { id, webhookUrl } = await newIntegration();
		const result = await report(["--service", "checkout", "--environment", "Production", "--status", "success"], {
			env: { DEPLOY_WEBHOOK_URL: webhookUrl },
			shell,
		});
		expect(result).toMatchObject({ code: 0, stderr: "" });
		expect(result.stdout).toMatch(/^report-deploy: 202 \{"result":"no_service_found"/);

		const [deploy, ...others] = await deploysOf(id);
		expect(others).toEqual([]);
		expect(deploy).toMatchObject({
			service_alias: "checkout",
			environment: "Production",
			status: "success",
			description: `Deployed checkout ${sha.slice(0, 8)}`,
			deployer: { email: AUTHOR.email, name: AUTHOR.name },
			commit: {
				sha,
				branch: "main",
				author_name: AUTHOR.name,
				author_email: AUTHOR.email,
				authoring_date: "2026-01-02T02:04:05.000Z",
				date: "2026-01-02T02:04:05.000Z",
				committer_name: "CI Robot",
				committer_email: "ci@example.com",
			},
		});
		expect(deploy.commit.message).toBe(MESSAGE);
		// Outside a CI run the id is random, but there is one: retries must not double the deploy.
		expect(deploy.dedup_id).toMatch(/^report-deploy:[0-9a-f]{32}$/);
		expect(existsSync(join(repo.dir, "pwned"))).toBe(false);
	});

	it("takes options from the command line over the environment, with --name=value too", async () => {
		const { id, webhookUrl } = await newIntegration();
		const result = await report(
			[
				`--url=${webhookUrl}`,
				"--service=billing",
				"--description",
				'Release "v2" \\o/',
				"--deployed-at",
				"2026-03-04 05:06:07 +0100",
				"--deploy-number",
				"77",
				"--deployer-email",
				"ops@example.com",
				"--dedup-id",
				"release-v2",
				"--no-git",
				"--sha",
				"abc123",
			],
			{ env: { DEPLOY_SERVICE: "ignored", DEPLOY_WEBHOOK_URL: "http://127.0.0.1:9/never" } },
		);
		expect(result.code).toBe(0);
		const deploy = await onlyDeployOf(id);
		expect(deploy).toMatchObject({
			service_alias: "billing",
			description: 'Release "v2" \\o/',
			deployed_at: "2026-03-04T04:06:07.000Z",
			deploy_number: "77",
			dedup_id: "release-v2",
			deployer: { email: "ops@example.com", name: null },
		});
		// --no-git: nothing read from the repository, only what was given.
		expect(deploy.commit).toMatchObject({ sha: "abc123", message: null, author_email: null, branch: null });
	});
});

describe("deduplication from the CI's run ids", () => {
	it("reports a re-run job once, and each attempt once with --new-attempt", async () => {
		const { id, webhookUrl } = await newIntegration();
		const args = ["--url", webhookUrl, "--service", "checkout", "--environment", "production"];
		const again = async (/** @type {Record<string, string>} */ env, extra = /** @type {string[]} */ ([])) => {
			const result = await report([...args, ...extra], { env: { ...GITHUB, ...env } });
			expect(result.stderr).toBe("");
			expect(result.code).toBe(0);
			return JSON.parse(result.stdout.replace(/^report-deploy: 202 /, "")).result;
		};

		expect(await again({})).toBe("no_service_found");
		expect(await again({})).toBe("duplicate_deploy");
		// A re-run is the same deploy unless asked otherwise.
		expect(await again({ GITHUB_RUN_ATTEMPT: "2" })).toBe("duplicate_deploy");
		expect(await again({ GITHUB_RUN_ATTEMPT: "2" }, ["--new-attempt"])).toBe("no_service_found");
		expect(await again({ GITHUB_RUN_ATTEMPT: "2", DEPLOY_NEW_ATTEMPT: "1" })).toBe("duplicate_deploy");
		expect(await again({ GITHUB_RUN_ATTEMPT: "3", DEPLOY_NEW_ATTEMPT: "true" })).toBe("no_service_found");
		// Another environment from the same job is another deploy.
		expect(await again({}, ["--environment", "staging"])).toBe("no_service_found");

		const deploys = await deploysOf(id);
		expect(deploys.map((d) => d.dedup_id).sort()).toEqual([
			"github:acme/checkout:8812345678:deploy:checkout:production",
			"github:acme/checkout:8812345678:deploy:checkout:production:2",
			"github:acme/checkout:8812345678:deploy:checkout:production:3",
			"github:acme/checkout:8812345678:deploy:checkout:staging",
		]);
		expect(deploys[0]).toMatchObject({
			deploy_url: "https://github.com/acme/checkout/actions/runs/8812345678",
			deployer: { email: "583231+octocat@users.noreply.github.com", name: "octocat" },
		});
	});

	it.each([
		[
			"GitLab CI",
			{ CI_PIPELINE_ID: "901", CI_PROJECT_ID: "12", CI_JOB_NAME: "deploy", CI_JOB_ID: "4455" },
			"gitlab:12:901:deploy:api:prod:4455",
		],
		[
			"CircleCI",
			{ CIRCLE_WORKFLOW_ID: "wf-1", CIRCLE_JOB: "deploy", CIRCLE_BUILD_NUM: "31" },
			"circleci:wf-1:deploy:api:prod:31",
		],
		["Jenkins", { BUILD_TAG: "jenkins-shop-api-17" }, "jenkins:jenkins-shop-api-17:api:prod"],
	])("makes the id from %s's variables", async (_ci, env, expected) => {
		const result = await report(
			["--dry-run", "--url", "http://127.0.0.1:9/x", "--service", "api", "--environment", "prod"],
			{
				env: { ...env, DEPLOY_NEW_ATTEMPT: "1" },
			},
		);
		expect(result.code).toBe(0);
		expect(JSON.parse(result.stdout).dedup_id).toBe(expected);
	});

	it("keeps a generated id within the tracker's 255 characters, distinct for distinct runs", async () => {
		const ids = [];
		for (const job of ["a", "b"]) {
			const result = await report(["--dry-run", "--url", "http://127.0.0.1:9/x", "--service", "s".repeat(250)], {
				env: { ...GITHUB, GITHUB_JOB: job },
			});
			ids.push(JSON.parse(result.stdout).dedup_id);
		}
		for (const id of ids) expect(id.length).toBeLessThanOrEqual(255);
		expect(ids[0]).not.toBe(ids[1]);
	});
});

describe("--dry-run", () => {
	it("sends nothing and prints the payload as valid JSON", async () => {
		const proxy = await flakyProxy([]);
		try {
			const result = await report(["--dry-run", "--service", "checkout", "--environment", "Production"], {
				env: { DEPLOY_WEBHOOK_URL: proxy.url(`${baseUrl}/integrations/deploy/x`), ...GITHUB },
			});
			expect(result).toMatchObject({ code: 0, stderr: "" });
			expect(proxy.requests()).toBe(0);
			const payload = JSON.parse(result.stdout);
			expect(payload).toMatchObject({
				service: "checkout",
				environment: "Production",
				dedup_id: "github:acme/checkout:8812345678:deploy:checkout:Production",
				commit: { sha, message: MESSAGE, branch: "main" },
			});
			expect(payload.deployed_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
		} finally {
			await proxy.close();
		}
	});
});

describe("--check", () => {
	it.each([
		["sh", ["sh"]],
		["bash --posix", ["bash", "--posix"]],
	])("asks the tracker what it would do with the deploy, and nothing is recorded (%s)", async (_name, shell) => {
		const { id, webhookUrl } = await newIntegration();
		const args = ["--service", "checkout", "--environment", "Production", "--dedup-id", "release-1"];
		// A query the URL already carries is kept.
		const env = { DEPLOY_WEBHOOK_URL: `${webhookUrl}?agent=e2e` };

		const checked = await report(["--check", ...args], { env, shell });

		expect(checked).toEqual({
			code: 0,
			stdout: `report-deploy: 200 {"result":"no_service_found","dry_run":true,"message":"No service found matching alias 'checkout'. A deploy would record 'checkout' as a suggestion."}\n`,
			stderr: "",
		});
		expect(await deploysOf(id)).toEqual([]);
		// The real report after it is the first deploy, numbered 1; a check after that sees the duplicate.
		expect((await report(args, { env, shell })).stdout).toMatch(/^report-deploy: 202 \{"result":"no_service_found"/);
		expect(await onlyDeployOf(id)).toMatchObject({ deploy_number: "1", agent: "e2e" });
		expect((await report(["--check", ...args], { env, shell })).stdout).toMatch(
			/^report-deploy: 200 \{"result":"duplicate_deploy","dry_run":true,/,
		);
		expect(await deploysOf(id)).toHaveLength(1);
	});

	it("exits 1 with the tracker's error for a revoked URL or an invalid deploy", async () => {
		const { id, webhookUrl } = await newIntegration();
		const invalid = await report(["--check", "--url", webhookUrl, "--service", "x", "--deployed-at", "2019-02-30"]);
		expect(invalid.code).toBe(1);
		expect(invalid.stderr).toMatch(/^report-deploy: the tracker refused the deploy: HTTP 400 .*"Deployed at Error"/);

		expect((await api("DELETE", `/integrations/${id}`)).status).toBe(204);
		const revoked = await report(["--check", "--url", webhookUrl, "--service", "x"]);
		expect(revoked.code).toBe(1);
		expect(revoked.stderr).toMatch(/^report-deploy: the tracker refused the deploy: HTTP 404 .*"Integration Error"/);
		expect(await deploysOf(id)).toEqual([]);
	});
});

describe("refusals", () => {
	it("exits 1 on a 4xx with the server's error, and records nothing", async () => {
		const { id, webhookUrl } = await newIntegration();
		const result = await report([
			"--url",
			webhookUrl,
			"--service",
			"checkout",
			"--deployed-at",
			"2019-02-30T10:00:00Z",
		]);
		expect(result.code).toBe(1);
		expect(result.stdout).toBe("");
		expect(result.stderr).toMatch(/^report-deploy: the tracker refused the deploy: HTTP 400 \{"errors":\[/);
		expect(result.stderr).toContain('"title":"Deployed at Error"');
		expect(await deploysOf(id)).toEqual([]);
	});

	it("exits 1 on an unknown webhook URL, without retrying", async () => {
		const proxy = await flakyProxy([]);
		try {
			const result = await report([
				"--url",
				proxy.url(`${baseUrl}/integrations/deploy/00000000-0000-4000-8000-000000000000`),
				"--service",
				"checkout",
			]);
			expect(result.code).toBe(1);
			expect(result.stderr).toContain("HTTP 404");
			expect(result.stderr).toContain("Integration Error");
			expect(proxy.requests()).toBe(1);
		} finally {
			await proxy.close();
		}
	});

	it("exits 1 on a redirect, naming where to, without following it", async () => {
		const proxy = await flakyProxy(() => "308");
		try {
			const result = await report(["--url", proxy.url(`${baseUrl}/integrations/deploy/x`), "--service", "checkout"]);
			expect(result.code).toBe(1);
			expect(result.stderr).toBe(
				"report-deploy: the tracker answered HTTP 308, a redirect to https://tracker.example.com/moved: report to the URL it names\n",
			);
			expect(proxy.requests()).toBe(1);
		} finally {
			await proxy.close();
		}
	});

	it.each([
		[["--service", "x"], "--url (or DEPLOY_WEBHOOK_URL) is required"],
		[["--url", "ftp://x/y", "--service", "x"], "must start with https://"],
		[["--url", "http://x/y"], "--service (or DEPLOY_SERVICE) is required"],
		[["--url", "http://x/y", "--service", "x", "--retries", "two"], "--retries must be a whole number"],
		[["--url", "http://x/y", "--service", "x", "--bogus"], "unknown option '--bogus'"],
		[["--url", "http://x/y", "--service"], "--service needs a value"],
		[["--url", "http://x/y", "--service", "x", "--check", "--dry-run"], "--dry-run sends nothing and --check sends"],
	])("exits 2 on bad usage: %j", async (args, message) => {
		const result = await report(args);
		expect(result.code).toBe(2);
		expect(result.stderr).toContain(message);
	});
});

describe("retries", () => {
	it("rides out a 503, a dropped connection and a 429 (Retry-After), ending with one deploy", async () => {
		const { id, webhookUrl } = await newIntegration();
		const proxy = await flakyProxy(["503", "drop", "429"]);
		try {
			const result = await report(["--url", proxy.url(webhookUrl), "--service", "checkout", "--retries", "3"]);
			expect(result.code).toBe(0);
			expect(proxy.requests()).toBe(4);
			const retried = result.stderr.trim().split("\n");
			expect(retried).toHaveLength(3);
			expect(retried[0]).toMatch(/^report-deploy: attempt 1 failed \(HTTP 503 upstream unavailable\); retrying in 1s$/);
			expect(retried[1]).toMatch(/^report-deploy: attempt 2 failed \(curl: \(52\) .*\); retrying in [12]s$/);
			expect(retried[2]).toBe("report-deploy: attempt 3 failed (HTTP 429 slow down); retrying in 0s");
			expect(await deploysOf(id)).toHaveLength(1);
		} finally {
			await proxy.close();
		}
	});

	it("counts a deploy once when the answer is lost after the tracker recorded it", async () => {
		const { id, webhookUrl } = await newIntegration();
		const proxy = await flakyProxy(["lose-answer"]);
		try {
			const result = await report(["--url", proxy.url(webhookUrl), "--service", "checkout", "--retries", "2"]);
			expect(result.code).toBe(0);
			expect(result.stdout).toContain('"result":"duplicate_deploy"');
			expect(proxy.requests()).toBe(2);
			expect(await deploysOf(id)).toHaveLength(1);
		} finally {
			await proxy.close();
		}
	});

	it("gives up after --retries with exit 3, having sent nothing through", async () => {
		const { id, webhookUrl } = await newIntegration();
		const proxy = await flakyProxy(() => "429");
		try {
			const result = await report(["--url", proxy.url(webhookUrl), "--service", "checkout", "--retries", "2"]);
			expect(result.code).toBe(3);
			expect(proxy.requests()).toBe(3);
			expect(result.stderr).toContain("report-deploy: gave up after 3 attempts: HTTP 429 slow down");
			expect(await deploysOf(id)).toEqual([]);
		} finally {
			await proxy.close();
		}
	});
});

describe("fetched from the tracker", () => {
	it("`curl -fsSL <base>/report-deploy.sh | sh -s -- --help` prints the usage", async () => {
		const result = await run("sh", ["-c", 'curl -fsSL "$1/report-deploy.sh" | sh -s -- --help', "sh", baseUrl], {
			cwd: repo.dir,
			env: cleanEnv(home.dir),
		});
		expect(result).toMatchObject({ code: 0, stderr: "" });
		expect(result.stdout).toMatch(/^Usage: report-deploy\.sh --url URL --service NAME/);
		expect(result.stdout).toContain("--new-attempt");
	});

	it("reports a deploy when piped to sh", async () => {
		const { id, webhookUrl } = await newIntegration();
		const result = await run(
			"sh",
			["-c", 'curl -fsSL "$1/report-deploy.sh" | sh -s -- --service piped --environment production', "sh", baseUrl],
			{ cwd: repo.dir, env: cleanEnv(home.dir, { DEPLOY_WEBHOOK_URL: webhookUrl }) },
		);
		expect(result.code).toBe(0);
		const deploy = await onlyDeployOf(id);
		expect(deploy).toMatchObject({ service_alias: "piped", commit: { sha, message: MESSAGE } });
	});
});
