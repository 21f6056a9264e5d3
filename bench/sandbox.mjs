// A throwaway world for one benchmark or end-to-end run: a temporary directory
// that holds the local D1 database and Durable Object storage (wrangler's
// --persist-to), and the wrangler processes working on it. Everything it starts
// or creates is undone by dispose(), whichever way the run ends.
//
// Used by bench/run.mjs and by the browser suite (test/e2e).

import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The admin token the dev server is started with (`--var`) unless told otherwise, for the Management API. */
export const ADMIN_TOKEN = "bench-token";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

// The project's own wrangler, run on the Node that runs us (npm scripts put the
// pinned Node 22 first on PATH); going through npx would add a second or so per call.
const WRANGLER = join(dirname(createRequire(import.meta.url).resolve("wrangler/package.json")), "bin", "wrangler.js");

// CI=true: never prompt (migrations apply asks for confirmation otherwise).
// No telemetry: a run makes no requests beyond this machine.
const WRANGLER_ENV = { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" };

/** How much of a child's output to keep for an error message. */
const OUTPUT_TAIL = 8_000;

/** How long `wrangler dev` may take to answer: it bundles the Worker and starts workerd first. */
const STARTUP_TIMEOUT_MS = 60_000;

/** How long a stopped process group gets to exit on SIGINT before SIGKILL. */
const STOP_GRACE_MS = 5_000;

const sleep = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A port nobody listens on right now, on 127.0.0.1. Another process could take
 * it before wrangler binds it; unlikely, and the health check would then fail loudly.
 * @returns {Promise<number>}
 */
function freePort() {
	return new Promise((resolve, reject) => {
		const server = createServer();
		server.once("error", reject);
		server.listen(0, "127.0.0.1", () => {
			const address = server.address();
			server.close(() =>
				typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
			);
		});
	});
}

/**
 * Whether any process of the group led by `pid` is still there.
 * @param {number} pid
 */
function groupAlive(pid) {
	try {
		process.kill(-pid, 0);
		return true;
	} catch (error) {
		return /** @type {NodeJS.ErrnoException} */ (error).code === "EPERM";
	}
}

/**
 * Signals a whole process group: wrangler runs esbuild and two workerd
 * processes under it, and killing wrangler alone would orphan them.
 * @param {number} pid
 * @param {NodeJS.Signals} signal
 */
function signalGroup(pid, signal) {
	try {
		process.kill(-pid, signal);
	} catch {
		// Already gone.
	}
}

/** @param {string | undefined} config a wrangler config file, relative to the project */
const configArgs = (config) => (config === undefined ? [] : ["--config", config]);

/**
 * @typedef {{ pid: number, exited: Promise<number | null>, output: () => string }} Child
 */

export class Sandbox {
	/** @param {string} dir */
	constructor(dir) {
		this.dir = dir;
		/** @type {Set<number>} process group ids still to stop */
		this.groups = new Set();
		this.disposed = false;
		/** @type {Promise<void> | undefined} */
		this.disposing = undefined;
		/** @type {Map<string, number>} each running dev server's process group, by base URL */
		this.devServers = new Map();
	}

	/**
	 * @param {{ prefix?: string }} [options] how the temporary directory's name starts
	 */
	static async create({ prefix = "deploy-tracker-bench-" } = {}) {
		return new Sandbox(await mkdtemp(join(tmpdir(), prefix)));
	}

	/**
	 * Applies the D1 migrations to the sandbox's database: the project's, or
	 * those of another Worker's wrangler `config` (the bench's reference Workers).
	 * @param {{ config?: string }} [options]
	 */
	migrate({ config } = {}) {
		return this.wrangler(["d1", "migrations", "apply", "DB", ...configArgs(config)]);
	}

	/**
	 * Starts wrangler in its own process group (detached), so that a Ctrl-C in the
	 * terminal reaches only us and we decide how it stops, and so that one
	 * signal reaches all of its descendants.
	 * @param {string[]} args
	 * @returns {Child}
	 */
	spawnWrangler(args) {
		const child = spawn(process.execPath, [WRANGLER, ...args], {
			cwd: ROOT,
			env: WRANGLER_ENV,
			stdio: ["ignore", "pipe", "pipe"],
			detached: true,
		});
		if (child.pid === undefined) throw new Error(`could not start wrangler ${args[0]}`);
		const pid = child.pid;
		this.groups.add(pid);
		let output = "";
		const keep = (/** @type {Buffer} */ chunk) => {
			output = (output + chunk.toString()).slice(-OUTPUT_TAIL);
		};
		child.stdout.on("data", keep);
		child.stderr.on("data", keep);
		/** @type {Promise<number | null>} */
		const exited = new Promise((resolve) => {
			child.once("error", () => resolve(null));
			child.once("exit", (code) => resolve(code));
		});
		return { pid, exited, output: () => output };
	}

	/**
	 * Runs one wrangler command against the sandbox's storage to completion.
	 * @param {string[]} args
	 */
	async wrangler(args) {
		const child = this.spawnWrangler([...args, "--local", "--persist-to", this.dir]);
		const code = await child.exited;
		// Its workerd should be gone with it; make sure nothing of the group outlives it.
		await this.stop(child.pid);
		if (code !== 0) throw new Error(`wrangler ${args.join(" ")} failed (exit ${code}):\n${child.output()}`);
	}

	/**
	 * Starts `wrangler dev` on a free port of 127.0.0.1 and waits until it answers.
	 * `hostname` only names it in the returned URL: a browser needs `localhost`
	 * (a secure context over plain HTTP, so it keeps Secure cookies), while
	 * 127.0.0.1 spares other clients a name lookup.
	 * `vars` are further Worker variables (`--var`); `config` runs another
	 * Worker than the project's, from its wrangler config, on the same storage.
	 * @param {{ adminToken?: string, hostname?: "127.0.0.1" | "localhost", vars?: Record<string, string>, config?: string }} [options]
	 * @returns {Promise<string>} its base URL
	 */
	async startDevServer({ adminToken = ADMIN_TOKEN, hostname = "127.0.0.1", vars = {}, config } = {}) {
		const [port, inspectorPort] = [await freePort(), await freePort()];
		const child = this.spawnWrangler([
			"dev",
			...["--port", String(port), "--ip", "127.0.0.1"],
			// Its devtools port too: the default, 9229, may be taken by another `npm run dev`.
			...["--inspector-port", String(inspectorPort), "--inspector-ip", "127.0.0.1"],
			...["--persist-to", this.dir],
			...["--var", `ADMIN_TOKEN:${adminToken}`],
			...Object.entries(vars).flatMap(([name, value]) => ["--var", `${name}:${value}`]),
			...["--log-level", "warn"],
			...configArgs(config),
		]);
		const base = `http://${hostname}:${port}`;
		this.devServers.set(base, child.pid);
		await waitForHealth(base, child, STARTUP_TIMEOUT_MS);
		return base;
	}

	/**
	 * Stops the dev server `startDevServer` answered `base` for, before the
	 * sandbox ends (another one may then open the same storage).
	 * @param {string} base
	 */
	async stopDevServer(base) {
		const pid = this.devServers.get(base);
		if (pid === undefined) throw new Error(`no dev server runs at ${base}`);
		this.devServers.delete(base);
		await this.stop(pid);
	}

	/**
	 * Stops one process group: SIGINT first (wrangler then stops workerd and
	 * removes its .wrangler/tmp files), SIGKILL if it is still there after STOP_GRACE_MS.
	 * @param {number} pid
	 */
	async stop(pid) {
		// Signals only while the group exists: once it is gone, its id may be reused.
		if (groupAlive(pid)) signalGroup(pid, "SIGINT");
		for (const deadline = Date.now() + STOP_GRACE_MS; groupAlive(pid) && Date.now() < deadline; ) await sleep(100);
		if (groupAlive(pid)) signalGroup(pid, "SIGKILL");
		for (const deadline = Date.now() + 2_000; groupAlive(pid) && Date.now() < deadline; ) await sleep(50);
		this.groups.delete(pid);
	}

	/**
	 * Stops every process, then removes the directory. A Ctrl-C and the run's
	 * own `finally` may both ask; they share one disposal.
	 * @returns {Promise<void>}
	 */
	dispose() {
		this.disposing ??= (async () => {
			await Promise.all([...this.groups].map((pid) => this.stop(pid)));
			// Only after the processes are gone: workerd writes into the directory until then.
			await rm(this.dir, { recursive: true, force: true });
			this.disposed = true;
		})();
		return this.disposing;
	}

	/**
	 * The last resort, for process 'exit' (an uncaught error, a second Ctrl-C),
	 * where nothing asynchronous runs any more: kill outright, remove what we can.
	 */
	disposeSync() {
		if (this.disposed) return;
		for (const pid of this.groups) signalGroup(pid, "SIGKILL");
		rmSync(this.dir, { recursive: true, force: true, maxRetries: 3 });
		this.disposed = true;
	}
}

/**
 * Polls `GET /healthz` until it answers 200; fails early if wrangler exits.
 * @param {string} base
 * @param {Child} child
 * @param {number} timeoutMs
 */
async function waitForHealth(base, child, timeoutMs) {
	let exited = false;
	child.exited.then(() => {
		exited = true;
	});
	for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(200)) {
		if (exited) throw new Error(`wrangler dev exited before it answered:\n${child.output()}`);
		try {
			const response = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2_000) });
			if (response.status === 200) return;
		} catch {
			// Not listening yet.
		}
	}
	throw new Error(`wrangler dev did not answer GET /healthz within ${timeoutMs / 1000} s:\n${child.output()}`);
}
