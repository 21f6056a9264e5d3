// Read-side test data as one SQL file: the deploy history a team of ~60 people
// would build over six months across 200 services. It is written straight into
// D1's tables, not posted through the webhook: 100,000 webhook calls would take
// longer than the whole benchmark, and the reads only care what the tables hold.
//
// The seeded deploys belong to their own integration ("Seeded history"), so the
// ingest scenarios, which post to integrations created through the API, never
// collide with them on dedup ids or deploy numbers. They have no rows in
// `deploy_statuses` (only `GET /api/deploys/:id` reads those, and it is not
// benchmarked) and nothing in the integration's ledger Durable Object.

import { open } from "node:fs/promises";
import { below, hex, pick, seededRandom, uuidV4, uuidV7, weighted } from "./random.mjs";

const DAY = 86_400_000;
const HISTORY_DAYS = 180;

/** D1 refuses SQL statements over 100,000 bytes (local D1 too: SQLITE_TOOBIG); stay under with room to spare. */
const MAX_STATEMENT_BYTES = 90_000;

/** Production and staging see most deploys; canary only some. */
const ENVIRONMENTS = /** @type {const} */ ([
	["Production", 30],
	["Staging", 30],
	["Development", 20],
	["QA", 15],
	["Canary", 5],
]);

/**
 * Final statuses and how pipelines spell them, with weights; `no_status` is a deploy that sent none.
 * @type {[[string, (string | null)[]], number][]}
 */
const OUTCOMES = [
	[["success", ["success", "succeeded", "Deployed", "completed"]], 85],
	[["failure", ["failed", "error", "FAILURE"]], 8],
	[["canceled", ["cancelled", "aborted"]], 4],
	[["no_status", [null]], 3],
];

// 20 domains × 10 kinds = 200 service names. None is `checkout`, which the
// benchmark creates through the API.
const DOMAINS = [
	"accounts",
	"billing",
	"cart",
	"catalog",
	"search",
	"inventory",
	"orders",
	"shipping",
	"pricing",
	"reviews",
	"notifications",
	"auth",
	"profile",
	"recommendations",
	"analytics",
	"ledger",
	"fraud",
	"tax",
	"returns",
	"loyalty",
];
const KINDS = ["api", "worker", "web", "gateway", "scheduler", "consumer", "service", "admin", "cron", "sync"];

const FIRST_NAMES = ["Ana", "Ben", "Chloé", "Dmitri", "Emeka", "Fatima", "Grace", "Hiroshi", "Ines", "Jonas", "Kofi"];
const LAST_NAMES = ["Silva", "Okafor", "Müller", "Nakamura", "Haddad", "Kowalski", "Lindqvist", "Moreau", "Patel"];
const BOT = { name: "Deploy Bot", email: "deploy-bot@example.com" };

const LIBRARIES = ["hono", "zod", "drizzle-orm", "wrangler", "typescript", "vitest", "undici", "pino"];
const TOPICS = ["rounding", "retries", "timeouts", "caching", "pagination", "logging", "validation", "rate limits"];

/**
 * @typedef {{ id: string, name: string, aliases: string[] }} Service
 * @typedef {{ id: string, name: string, email: string }} Person
 * @typedef {{ sha: string, message: string, branch: string, date: number, authoringDate: number | null, author: Person }} Commit
 * @typedef {{ integrationId: string, people: Person[], now: number }} World
 * @typedef {Record<string, string | number | null>} Row
 */

/** @param {string} word */
const capitalize = (word) => word.charAt(0).toUpperCase() + word.slice(1);

/**
 * 200 services, each answering to its name and, for some, to other spellings
 * (`billing_api`, `Billing API`), as catalogs that grew over time do.
 * @param {import("./random.mjs").Random} random
 * @param {number} createdAt
 * @returns {Service[]}
 */
function makeServices(random, createdAt) {
	return DOMAINS.flatMap((domain) =>
		KINDS.map((kind) => {
			const name = `${domain}-${kind}`;
			const aliases = [name];
			if (random() < 0.5) aliases.push(`${domain}_${kind}`);
			if (random() < 0.25) aliases.push(`${capitalize(domain)} ${capitalize(kind)}`);
			return { id: uuidV7(random, createdAt), name, aliases };
		}),
	);
}

/**
 * About 60 distinct people; e-mails are stored lower-cased, as the app does.
 * @param {import("./random.mjs").Random} random
 * @param {number} createdAt
 * @returns {Person[]}
 */
function makePeople(random, createdAt) {
	const people = FIRST_NAMES.flatMap((first) =>
		LAST_NAMES.filter(() => random() < 0.6).map((last) => ({
			id: uuidV7(random, createdAt),
			name: `${first} ${last}`,
			email: `${first}.${last}@example.com`.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase(),
		})),
	);
	return [...people, { id: uuidV7(random, createdAt), ...BOT }];
}

/**
 * How many deploys each service gets: a few busy services and a long tail
 * (Zipf-like), summing to exactly `total`.
 * @param {number} services
 * @param {number} total
 */
function deployCounts(services, total) {
	const weights = Array.from({ length: services }, (_, i) => 1 / (i + 1) ** 0.8);
	const sum = weights.reduce((a, b) => a + b, 0);
	const counts = weights.map((w) => Math.floor((total * w) / sum));
	let missing = total - counts.reduce((a, b) => a + b, 0);
	for (let i = 0; missing > 0; i = (i + 1) % services, missing--) counts[i] = (counts[i] ?? 0) + 1;
	return counts;
}

/**
 * A moment in the last 180 days, mostly on weekdays in working hours (UTC),
 * since that is when teams ship.
 * @param {import("./random.mjs").Random} random
 * @param {number} now
 */
function deployTime(random, now) {
	for (;;) {
		const at = now - 60_000 - Math.floor(random() * HISTORY_DAYS * DAY);
		const date = new Date(at);
		const weekend = date.getUTCDay() === 0 || date.getUTCDay() === 6;
		const offHours = date.getUTCHours() < 7 || date.getUTCHours() > 19;
		if ((!weekend || random() < 0.15) && (!offHours || random() < 0.15)) return at;
	}
}

/**
 * A duration between `min` and `max` ms, spread evenly on a log scale: lead
 * times range from minutes to days, and most are short.
 * @param {import("./random.mjs").Random} random
 * @param {number} min
 * @param {number} max
 */
function logUniform(random, min, max) {
	return Math.round(Math.exp(Math.log(min) + random() * (Math.log(max) - Math.log(min))));
}

/**
 * A new commit on the service, authored a little before it is deployed.
 * @param {import("./random.mjs").Random} random
 * @param {World} world
 * @param {string} domain
 * @param {number} deployedAt
 * @returns {Commit}
 */
function newCommit(random, world, domain, deployedAt) {
	const date = deployedAt - logUniform(random, 2 * 60_000, 5 * DAY);
	const branch = `fix-${pick(random, TOPICS).replace(" ", "-")}`;
	const message = pick(random, [
		`Merge branch '${branch}' into 'main'`,
		`Fix ${pick(random, TOPICS)} in ${domain}`,
		`Bump ${pick(random, LIBRARIES)} from 1.${below(random, 9)}.${below(random, 20)} to 1.${below(random, 9) + 1}.0`,
		`Add ${pick(random, TOPICS)} to the ${domain} endpoints behind a flag`,
		`Revert "Tune ${pick(random, TOPICS)} for ${domain}"`,
	]);
	return {
		sha: hex(random, 20),
		message,
		branch: random() < 0.9 ? "main" : branch,
		date,
		authoringDate: random() < 0.8 ? date - logUniform(random, 60_000, 2 * DAY) : null,
		author: pick(random, world.people.slice(0, -1)),
	};
}

/**
 * What a deploy ships: mostly a new commit, often the latest one again (promoted
 * to another environment), sometimes an older one (a rollback, which the DORA
 * metrics look for).
 * @param {import("./random.mjs").Random} random
 * @param {World} world
 * @param {Commit[]} history the service's commits so far, oldest first
 * @param {string} domain
 * @param {number} deployedAt
 */
function nextCommit(random, world, history, domain, deployedAt) {
	const r = random();
	if (history.length > 2 && r < 0.04) return /** @type {Commit} */ (history[below(random, history.length - 1)]);
	if (history.length > 0 && r < 0.4) return /** @type {Commit} */ (history.at(-1));
	const commit = newCommit(random, world, domain, deployedAt);
	history.push(commit);
	return commit;
}

/**
 * The status a deploy ended with; the last quarter hour still has some in flight.
 * @param {import("./random.mjs").Random} random
 * @param {number} deployedAt
 * @param {number} now
 * @returns {[string, string | null]} normalized status and the raw value sent
 */
function outcome(random, deployedAt, now) {
	if (now - deployedAt < 15 * 60_000) return random() < 0.5 ? ["running", "in_progress"] : ["queued", "pending"];
	const [status, spellings] = weighted(random, OUTCOMES);
	return [status, pick(random, spellings)];
}

/**
 * One row of `deploys`, filled as the webhook would have filled it (see
 * writeDeploy in src/db/deploys.ts). Its keys are the columns the INSERT names.
 * @param {import("./random.mjs").Random} random
 * @param {World} world
 * @param {Service} service
 * @param {Commit} commit
 * @param {number} deployedAt
 * @param {number} number the service's deploy number
 * @returns {Row}
 */
function deployRow(random, world, service, commit, deployedAt, number) {
	const receivedAt = deployedAt + below(random, 5_000);
	const alias = pick(random, service.aliases);
	// Pipelines do not always spell the alias the way the catalog does.
	const spelled = random() < 0.1 ? alias.toUpperCase() : alias;
	const deployer = random() < 0.3 ? /** @type {Person} */ (world.people.at(-1)) : commit.author;
	const [status, statusRaw] = outcome(random, deployedAt, world.now);
	const description = `Deployed by CI Pipeline: Deploy #${number}`;
	const environment = weighted(random, ENVIRONMENTS);
	return {
		id: uuidV7(random, receivedAt),
		integration_id: world.integrationId,
		service_id: service.id,
		service_alias: spelled,
		alias_key: spelled.trim().toLowerCase(),
		environment,
		// As the app keys it (environmentKey in src/db/deploys.ts).
		environment_key: environment.trim().toLowerCase(),
		description,
		deployed_at: deployedAt,
		deploy_number: String(number),
		deploy_url: `https://ci.example.com/${service.name}/runs/${number}`,
		dedup_id: uuidV4(random),
		status,
		status_raw: statusRaw,
		agent: null,
		person_id: deployer.id,
		deployer_id: deployer === commit.author ? null : "bot-7",
		// The e-mail as sent; the person row holds it lower-cased.
		deployer_email: random() < 0.2 ? deployer.email.replace(/^./, (c) => c.toUpperCase()) : deployer.email,
		deployer_name: deployer.name,
		commit_sha: commit.sha,
		commit_message: commit.message,
		commit_branch: commit.branch,
		commit_date: commit.date,
		committer_name: commit.author.name,
		committer_email: commit.author.email,
		author_name: commit.author.name,
		author_email: commit.author.email,
		authoring_date: commit.authoringDate,
		received_at: receivedAt,
		// As the app computes it: JavaScript's lower-casing, which folds beyond ASCII.
		search_text: `${description}\n${commit.message}`.toLowerCase(),
	};
}

/**
 * A service's deploys, oldest first, numbered 1, 2, 3… as the ledger would.
 * @param {import("./random.mjs").Random} random
 * @param {World} world
 * @param {Service} service
 * @param {number} count
 * @returns {Generator<Row>}
 */
function* serviceDeploys(random, world, service, count) {
	const times = Array.from({ length: count }, () => deployTime(random, world.now)).sort((a, b) => a - b);
	const domain = service.name.split("-")[0] ?? service.name;
	/** @type {Commit[]} */
	const history = [];
	for (const [i, deployedAt] of times.entries()) {
		const commit = nextCommit(random, world, history, domain, deployedAt);
		yield deployRow(random, world, service, commit, deployedAt, i + 1);
	}
}

/**
 * A literal for SQL text: strings quoted (quotes doubled), numbers as they are.
 * @param {string | number | null} value
 */
function literal(value) {
	if (value === null) return "NULL";
	if (typeof value === "number") return String(value);
	return `'${value.replaceAll("'", "''")}'`;
}

/**
 * Writes rows as multi-row INSERTs (~120 deploys each), each under D1's length
 * limit: one INSERT per row would be 100,000 statements for wrangler to split
 * and D1 to prepare and report on, instead of ~840.
 */
class InsertWriter {
	/**
	 * @param {import("node:fs/promises").FileHandle} file
	 */
	constructor(file) {
		this.file = file;
		/** @type {string[]} */
		this.tuples = [];
		this.bytes = 0;
		this.head = "";
		this.statements = 0;
	}

	/**
	 * @param {string} table
	 * @param {Row} row its keys are the columns to fill; rows of one table share them
	 */
	async add(table, row) {
		const head = `INSERT INTO ${table} (${Object.keys(row).join(", ")}) VALUES\n`;
		const tuple = `(${Object.values(row).map(literal).join(", ")})`;
		const size = Buffer.byteLength(tuple) + 2;
		if (head !== this.head || this.bytes + size > MAX_STATEMENT_BYTES) await this.flush();
		if (this.tuples.length === 0) {
			this.head = head;
			this.bytes = Buffer.byteLength(head);
		}
		this.tuples.push(tuple);
		this.bytes += size;
	}

	async flush() {
		if (this.tuples.length === 0) return;
		await this.file.write(`${this.head}${this.tuples.join(",\n")};\n`);
		this.statements++;
		this.tuples = [];
	}
}

/**
 * Writes the seed SQL to `path`: one integration, the people, 200 services with
 * their aliases, and `deploys` deploys spread over the last 180 days.
 * @param {string} path
 * @param {{ deploys: number, now: number, seed?: number }} options
 * @returns {Promise<{ services: Service[], counts: number[], statements: number }>}
 *   the services with their deploy counts (same order; the first is the busiest)
 */
export async function writeSeedSql(path, { deploys, now, seed = 42 }) {
	const random = seededRandom(seed);
	const createdAt = now - (HISTORY_DAYS + 10) * DAY;
	const world = { integrationId: uuidV7(random, createdAt), people: makePeople(random, createdAt), now };
	const services = makeServices(random, createdAt);
	const counts = deployCounts(services.length, deploys);

	const file = await open(path, "w");
	try {
		const out = new InsertWriter(file);
		await out.add("integrations", {
			id: world.integrationId,
			name: "Seeded history",
			webhook_token: uuidV4(random),
			created_at: createdAt,
		});
		for (const person of world.people) {
			await out.add("people", { ...person, created_at: createdAt });
		}
		for (const service of services) {
			await out.add("services", { id: service.id, name: service.name, created_at: createdAt });
		}
		for (const service of services) {
			for (const alias of service.aliases) {
				await out.add("aliases", {
					key: alias.trim().toLowerCase(),
					alias,
					service_id: service.id,
					created_at: createdAt,
				});
			}
		}
		const rows = services.flatMap((service, i) => [...serviceDeploys(random, world, service, counts[i] ?? 0)]);
		// In arrival order (ids are UUIDv7 of received_at), as the webhook would have
		// inserted them, so the table's rows lie on disk as a real database's do.
		rows.sort((a, b) => (String(a.id) < String(b.id) ? -1 : 1));
		for (const row of rows) await out.add("deploys", row);
		await out.flush();
		return { services, counts, statements: out.statements };
	} finally {
		await file.close();
	}
}
