// What the reporter and example tests share: the Management API of the
// server the global setup started, shell runs with a controlled environment,
// throwaway git repositories, and an HTTP server in front of the worker that
// fails on command.

import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { inject } from "vitest";

export const baseUrl = inject("baseUrl");
const adminToken = inject("adminToken");

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const REPORTER = join(ROOT, "scripts/report-deploy.sh");

/**
 * A Management API call, answering the status and parsed body.
 * @param {string} method
 * @param {string} path under /api
 * @param {unknown} [body]
 * @returns {Promise<{ status: number, body: any }>}
 */
export async function api(method, path, body) {
	const response = await fetch(`${baseUrl}/api${path}`, {
		method,
		headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	const text = await response.text();
	return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/**
 * A fresh integration, so each test counts only its own deploys.
 * @param {string} [kind]
 * @returns {Promise<{ id: string, webhookUrl: string }>}
 */
export async function newIntegration(kind = "deploy") {
	const { status, body } = await api("POST", "/integrations", { name: `e2e ${randomUUID()}`, kind });
	if (status !== 201) throw new Error(`creating an integration answered ${status}`);
	return { id: body.id, webhookUrl: body.webhook_url };
}

/**
 * A service with the given aliases (by default it answers to its own name), via the API.
 * @param {string} name
 * @param {string[]} [aliases]
 * @returns {Promise<{ id: string, name: string }>}
 */
export async function newService(name, aliases) {
	const { status, body } = await api("POST", "/services", { name, aliases });
	if (status !== 201) throw new Error(`creating a service answered ${status}`);
	return body;
}

/**
 * Sends one deploy of `service`, as a pipeline would, and answers the webhook's `result`.
 * @param {string} webhookUrl
 * @param {string} service
 * @returns {Promise<string>}
 */
export async function sendDeploy(webhookUrl, service) {
	const body = {
		service,
		description: `Deployed ${service}`,
		deployed_at: new Date().toISOString(),
		deployer: { email: "dev@example.com" },
	};
	const response = await fetch(webhookUrl, { method: "POST", body: JSON.stringify(body) });
	return (await response.json()).result;
}

/**
 * Every deploy an integration received, newest first.
 * @param {string} integrationId
 * @returns {Promise<any[]>}
 */
export async function deploysOf(integrationId) {
	const { status, body } = await api("GET", `/deploys?integration=${integrationId}`);
	if (status !== 200) throw new Error(`listing deploys answered ${status}`);
	return body.deploys;
}

/**
 * The one deploy an integration received: a setup that reported twice (or
 * not at all) fails here rather than passing on its first deploy.
 * @param {string} integrationId
 */
export async function onlyDeployOf(integrationId) {
	const deploys = await deploysOf(integrationId);
	if (deploys.length !== 1) throw new Error(`expected exactly one deploy, got ${deploys.length}`);
	return deploys[0];
}

/**
 * A page as the signed-in admin sees it, as a function answering the text of
 * the first group `pattern` matches in it, unescaped (failing when none does).
 * @param {string} path
 */
export async function pageParts(path) {
	const signIn = await fetch(`${baseUrl}/login`, {
		method: "POST",
		redirect: "manual",
		headers: { origin: baseUrl },
		body: new URLSearchParams({ token: adminToken }),
	});
	const cookie = /session=[^;]+/.exec(signIn.headers.get("set-cookie") ?? "")?.[0];
	if (!cookie) throw new Error(`signing in answered ${signIn.status}`);
	const page = await fetch(`${baseUrl}${path}`, { headers: { cookie, accept: "text/html" } });
	const html = await page.text();
	return (/** @type {string} */ what, /** @type {RegExp} */ pattern) => {
		const escaped = pattern.exec(html)?.[1];
		if (escaped === undefined) throw new Error(`the page ${path} (${page.status}) shows no ${what}`);
		return escaped
			.replaceAll("&quot;", '"')
			.replaceAll("&#39;", "'")
			.replaceAll("&lt;", "<")
			.replaceAll("&gt;", ">")
			.replaceAll("&amp;", "&");
	};
}

/**
 * What an integration's page offers for setting up a pipeline, as a
 * signed-in browser gets it: the snippet, the instruction beside it with the
 * URL to store as a secret, and the trial command the empty page suggests.
 * @param {string} integrationId
 * @returns {Promise<{ snippet: string, instruction: string, secret: string, trial: string }>} texts, unescaped
 */
export async function setupOnPage(integrationId) {
	const part = await pageParts(`/integrations/${integrationId}`);
	return {
		snippet: part("snippet", /<pre id="snippet">([^<]*)<\/pre>/),
		instruction: part("instruction", /<label for="webhook-url">([^<]*)</),
		secret: part("webhook URL", /<input id="webhook-url" type="text" readonly="" value="([^"]*)"/),
		trial: part("trial", /<div class="panel empty">[\s\S]*?<pre>([^<]*)<\/pre>/),
	};
}

/**
 * The environment of every shell run: PATH and a HOME of its own, nothing
 * else of ours, so no CI variable of the machine running the suite (GITHUB_*,
 * CI_*) reaches the script, nor anyone's git configuration.
 * @param {string} home
 * @param {Record<string, string>} [vars]
 */
export const cleanEnv = (home, vars = {}) => ({
	PATH: process.env.PATH ?? "/usr/bin:/bin",
	HOME: home,
	GIT_CONFIG_NOSYSTEM: "1",
	...vars,
});

/**
 * Runs a program to completion (killed after 30 s), answering its exit code and output.
 * @param {string} command
 * @param {string[]} args
 * @param {{ cwd: string, env: Record<string, string> }} options
 * @returns {Promise<{ code: number | null, stdout: string, stderr: string }>}
 */
export function run(command, args, { cwd, env }) {
	return new Promise((resolve, reject) => {
		const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"], timeout: 30_000 });
		let stdout = "";
		let stderr = "";
		child.stdout.setEncoding("utf8").on("data", (chunk) => {
			stdout += chunk;
		});
		child.stderr.setEncoding("utf8").on("data", (chunk) => {
			stderr += chunk;
		});
		child.once("error", reject);
		child.once("close", (code) => resolve({ code, stdout, stderr }));
	});
}

/**
 * A temporary directory, removed by the returned function.
 * @returns {Promise<{ dir: string, remove: () => Promise<void> }>}
 */
export async function tempDir() {
	const dir = await mkdtemp(join(tmpdir(), "deploy-tracker-e2e-pipelines-"));
	return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * A git repository in `dir` whose one commit, on `main`, has exactly `message`
 * (no cleanup: leading and trailing spaces, blank lines, control characters stay).
 * @param {string} dir
 * @param {{ message: string, author: { name: string, email: string, date: string } }} commit
 * @returns {Promise<string>} the commit's sha
 */
export async function gitRepo(dir, { message, author }) {
	const env = cleanEnv(dir, {
		GIT_AUTHOR_NAME: author.name,
		GIT_AUTHOR_EMAIL: author.email,
		GIT_AUTHOR_DATE: author.date,
		GIT_COMMITTER_NAME: "CI Robot",
		GIT_COMMITTER_EMAIL: "ci@example.com",
		GIT_COMMITTER_DATE: author.date,
	});
	const git = async (/** @type {string[]} */ ...args) => {
		const result = await run("git", args, { cwd: dir, env });
		if (result.code !== 0) throw new Error(`git ${args.join(" ")} failed: ${result.stderr}`);
		return result.stdout.trim();
	};
	await git("init", "-q", "-b", "main");
	await writeFile(join(dir, ".message"), message);
	await git("commit", "-q", "--allow-empty", "--cleanup=verbatim", "-F", ".message");
	return git("rev-parse", "HEAD");
}

/** @typedef {"503" | "429" | "308" | "drop" | "lose-answer"} Failure */

/**
 * An HTTP server in front of the worker that fails the first requests as
 * told, then forwards each request and its answer. "lose-answer" forwards the
 * request but drops the connection instead of answering: the deploy is
 * recorded, and the client cannot know.
 * @param {Failure[] | ((n: number) => Failure | undefined)} failures what request n (from 0) suffers
 * @returns {Promise<{ url: (webhookUrl: string) => string, requests: () => number, close: () => Promise<void> }>}
 */
export async function flakyProxy(failures) {
	const failureOf = typeof failures === "function" ? failures : (/** @type {number} */ n) => failures[n];
	let count = 0;
	const server = createServer(async (request, response) => {
		const failure = failureOf(count++);
		const chunks = [];
		for await (const chunk of request) chunks.push(chunk);
		if (failure === "drop") return request.socket.destroy();
		if (failure === "503") return response.writeHead(503).end("upstream unavailable");
		// Retry-After 0: the reporter's own backoff never waits under 1 s, so a 0 s wait shows it obeyed.
		if (failure === "429") return response.writeHead(429, { "Retry-After": "0" }).end("slow down");
		if (failure === "308") return response.writeHead(308, { Location: "https://tracker.example.com/moved" }).end();
		const answer = await fetch(new URL(request.url ?? "/", baseUrl), {
			method: request.method,
			headers: { "content-type": request.headers["content-type"] ?? "application/json" },
			body: Buffer.concat(chunks),
		});
		const body = await answer.text();
		if (failure === "lose-answer") return request.socket.destroy();
		response.writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "" }).end(body);
	});
	await new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(undefined)));
	const address = server.address();
	if (!address || typeof address !== "object") throw new Error("the proxy has no port");
	return {
		url: (webhookUrl) => {
			const url = new URL(webhookUrl);
			return `http://127.0.0.1:${address.port}${url.pathname}`;
		},
		requests: () => count,
		close: () => {
			server.closeAllConnections();
			return new Promise((resolve) => server.close(() => resolve(undefined)));
		},
	};
}
