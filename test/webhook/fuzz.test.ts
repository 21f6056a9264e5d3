/**
 * Property-based fuzzing of the webhook, through the real Worker, D1 and ledger.
 *
 * Every property sends batches of requests (1–4 at once, as pipelines do) and
 * holds each batch to the same invariants: every answer is a 202 with one of
 * the three results, or a 400/413 in the error shape (a live integration has no
 * other answer for a body, and never a 5xx); a refusal cost no ledger request
 * and wrote no row; each 202 that accepted a deploy put exactly one entry in the
 * ledger and exactly one deploy in D1, with nothing left pending between them;
 * a batch without a 202 left the ledger, the deploys, the people and the
 * suggestions untouched. Most properties also know exactly what each case must
 * get, and what it must store.
 *
 * The seed is fixed, so a run is repeatable; each property logs its seed and how
 * many runs and requests it made. To replay or to hunt longer (the variables reach
 * workerd as bindings, see vitest.config.ts):
 *
 *   FUZZ_SEED=123 npx vitest run test/webhook/fuzz.test.ts            another seed, every property
 *   FUZZ_RUNS=2000 npx vitest run test/webhook/fuzz.test.ts           more runs per property
 *   FUZZ_SEED=<seed> FUZZ_PATH=<path> npx vitest run test/webhook/fuzz.test.ts -t "<property>"
 *                                                                     just the shrunk counterexample of a
 *                                                                     failure (fast-check prints seed and path)
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Cost, parseCostHeader } from "../../src/cost/meter";
import { MAX_JSON_DEPTH } from "../../src/http/validation";
import { admin, api, call, examplePayload, expectError, type Integration, ISO_DATETIME } from "../helpers";
import { ledgerOf } from "../ledger/helpers";

const knobs = env as unknown as { FUZZ_SEED?: string; FUZZ_RUNS?: string; FUZZ_PATH?: string };
const SEED = knobs.FUZZ_SEED ? Number(knobs.FUZZ_SEED) : 20_261_128;
const RUNS = knobs.FUZZ_RUNS ? Number(knobs.FUZZ_RUNS) : undefined;
const PATH = knobs.FUZZ_PATH || undefined;

/** The contract's numbers (README), written out so that changing them in src fails here. */
const MAX_BODY_BYTES = 512 * 1024;
const MISSING = "param is missing or the value is empty";
const NO_DATETIME = "param is not a valid ISO 8601 date-time";
const OUT_OF_RANGE = "param must fall within the years 0000 to 9999 in UTC";
/** The instants a date-time may name: what formats as a four-digit year. */
const FIRST_INSTANT = new Date("0000-01-01T00:00:00.000Z").getTime();
const LAST_INSTANT = new Date("9999-12-31T23:59:59.999Z").getTime();

type Answer = { status: number; text: string; body: any; cost: Cost };
type Row = Record<string, unknown>;

type Case = {
	/** What sets this case apart from the reference payload, for the counterexample. */
	label?: string;
	body: string | Uint8Array;
	headers?: Record<string, string>;
	/** Appended to the webhook URL, `?agent=…` and the like. */
	query?: string;
	/** A dedup_id only this case sends, to find the deploy it stored. */
	dedupId?: string;
	/** What this case must get beyond the shared invariants; `row` is its deploy in D1, if it stored one. */
	check?: (answer: Answer, row: Row | undefined) => void | Promise<void>;
};

const utf8 = new TextEncoder();
const bytesOf = (body: string | Uint8Array) => (typeof body === "string" ? utf8.encode(body).length : body.length);

async function send(integration: Integration, c: Case): Promise<Answer> {
	const path = `${new URL(integration.webhook_url).pathname}${c.query ?? ""}`;
	const response = await call(path, { method: "POST", headers: c.headers ?? {}, body: c.body });
	const text = await response.text();
	let body: unknown;
	try {
		body = JSON.parse(text);
	} catch {
		body = undefined;
	}
	return { status: response.status, text, body, cost: parseCostHeader(response.headers.get("Cost") ?? "") };
}

const DUPLICATE = "Deploy not created due to existing deploy with identical dedup_id";

/** What every answer must be, whatever was sent: the three 202s, or a 400 or 413 in the error shape. */
function expectSound(answer: Answer, bytes: number): void {
	const seen = `${answer.status} ${answer.text.slice(0, 500)}`;
	if (bytes > MAX_BODY_BYTES) {
		expect(answer.status, seen).toBe(413);
	}
	if (answer.status === 202) {
		const result = answer.body?.result;
		if (result === "ok") expect(answer.body, seen).toEqual({ result: "ok" });
		else if (result === "duplicate_deploy") expect(answer.body, seen).toEqual({ result, message: DUPLICATE });
		else
			expect(answer.body, seen).toEqual({
				result: "no_service_found",
				message: expect.stringMatching(/^No service found matching alias '.+'\. Recording '.+' as a suggestion\.$/s),
			});
		return;
	}
	expect([400, 413], seen).toContain(answer.status);
	expectError(answer, answer.status);
	// Refused before the ledger: not even a request to it, and no row written anywhere.
	expect(answer.cost, seen).toMatchObject({ doRequests: 0, d1RowsWritten: 0 });
}

/** The field an error names: the contract's detail is `<message>: <field>`. */
const fieldOf = (error: { detail: string }) => error.detail.slice(error.detail.lastIndexOf(": ") + 2);

/** The contract's title for a field: humanized, then ` Error`. */
function titleOf(field: string): string {
	const words = field.replace(/[._]+/g, " ");
	return `${words.charAt(0).toUpperCase()}${words.slice(1)} Error`;
}

type Counts = {
	deploys: number;
	statuses: number;
	people: number;
	suggestions: number;
	entries: number;
	pending: number;
};

/** What the integration's ledger and D1 hold: the things a request may create. */
async function counts(integration: Integration): Promise<Counts> {
	const d1 = await env.DB.prepare(
		`SELECT
			(SELECT count(*) FROM deploys WHERE integration_id = ?1) AS deploys,
			(SELECT count(*) FROM deploy_statuses WHERE deploy_id IN (SELECT id FROM deploys WHERE integration_id = ?1)) AS statuses,
			(SELECT count(*) FROM people) AS people,
			(SELECT count(*) FROM suggestions) AS suggestions`,
	)
		.bind(integration.id)
		.first<Pick<Counts, "deploys" | "statuses" | "people" | "suggestions">>();
	const ledger = await runInDurableObject(ledgerOf(integration), (_, state) =>
		state.storage.sql
			.exec<{ entries: number; pending: number }>(
				"SELECT count(*) AS entries, coalesce(sum(delivered_at IS NULL), 0) AS pending FROM entries",
			)
			.one(),
	);
	if (!d1) throw new Error("no counts from D1");
	return { ...d1, ...ledger };
}

async function rowOf(integration: Integration, dedupId: string): Promise<Row | undefined> {
	const row = await env.DB.prepare("SELECT * FROM deploys WHERE integration_id = ? AND dedup_id = ?")
		.bind(integration.id, dedupId)
		.first<Row>();
	return row ?? undefined;
}

/** Sends a batch at once and holds it to the invariants, then to each case's own check. */
async function runBatch(integration: Integration, sent: Case[]): Promise<void> {
	// fast-check runs a case again while shrinking: each run gets a dedup_id of its own, or it would be a duplicate.
	const cases = sent.map((c) => {
		if (c.dedupId === undefined || typeof c.body !== "string") return c;
		const dedupId = `fuzz-${crypto.randomUUID()}`;
		return { ...c, body: c.body.replaceAll(c.dedupId, dedupId), dedupId };
	});
	const before = await counts(integration);
	const answers = await Promise.all(cases.map((c) => send(integration, c)));
	const after = await counts(integration);

	let accepted = 0;
	let unmatched = 0;
	let duplicates = 0;
	for (const [i, c] of cases.entries()) {
		const answer = answers[i] as Answer;
		expectSound(answer, bytesOf(c.body));
		if (answer.status !== 202) continue;
		if (answer.body.result === "duplicate_deploy") duplicates++;
		else accepted++;
		if (answer.body.result === "no_service_found") unmatched++;
	}
	const delta = (key: keyof Counts) => after[key] - before[key];
	expect(delta("entries"), "ledger entries added").toBe(accepted);
	expect(delta("deploys"), "deploys added to D1").toBe(accepted);
	expect(after.pending, "ledger entries D1 does not have").toBe(0);
	expect(delta("people"), "people added").toBeLessThanOrEqual(accepted);
	expect(delta("suggestions"), "suggestions added").toBeLessThanOrEqual(unmatched);
	expect(delta("statuses"), "status changes added").toBeLessThanOrEqual(accepted + duplicates);

	for (const [i, c] of cases.entries()) {
		const answer = answers[i] as Answer;
		const row = c.dedupId === undefined ? undefined : await rowOf(integration, c.dedupId);
		if (c.dedupId !== undefined && answer.status !== 202)
			expect(row, "a deploy stored for a refused request").toBe(undefined);
		await c.check?.(answer, row);
	}
}

/** Runs one property on its own integration, logging what it takes to replay it. */
async function fuzz(name: string, cases: fc.Arbitrary<Case[]>, runs: number): Promise<void> {
	const integration = await api.createIntegration(`fuzz: ${name}`);
	const test = expect.getState().currentTestName?.split(" > ").at(-1) ?? name;
	const numRuns = RUNS ?? runs;
	let batches = 0;
	let requests = 0;
	const started = Date.now();
	try {
		await fc.assert(
			fc.asyncProperty(cases, async (batch) => {
				batches++;
				requests += batch.length;
				await runBatch(integration, batch);
			}),
			{ seed: SEED, numRuns, path: PATH },
		);
	} catch (error) {
		// Vitest carries failures out of workerd as UTF-8: a lone surrogate in an assertion would lose the whole report.
		const { message, cause } = error as Error;
		throw new Error(`${message}\n\nCaused by: ${(cause as Error | undefined)?.stack}`.toWellFormed());
	} finally {
		console.log(
			`fuzz "${name}": seed ${SEED}, ${numRuns} runs asked, ${batches} run (shrinking included), ${requests} requests, ${Date.now() - started} ms. ` +
				`Replay: FUZZ_SEED=${SEED} FUZZ_RUNS=${numRuns} npx vitest run test/webhook/fuzz.test.ts -t "${test}"`,
		);
	}
}

/** A batch of 1–4 cases sent at once. */
const batchOf = (one: fc.Arbitrary<Case>) => fc.array(one.map(printable), { minLength: 1, maxLength: 4 });

/** Shortens long text for a counterexample, keeping its length and its ends. */
function clip(value: string, keep = 400): string {
	const json = JSON.stringify(value);
	return json.length <= keep ? json : `${json.slice(0, keep / 2)}…(${value.length} chars)…${json.slice(-keep / 4)}`;
}

/** A case as fast-check prints a counterexample: bodies can be half a megabyte, so clipped (the seed and path give all of it). */
function printable(c: Case): Case {
	const body =
		typeof c.body === "string" ? clip(c.body) : `bytes [${[...c.body.slice(0, 64)]}] (${c.body.length} bytes)`;
	const text = `{ ${c.label ? `${clip(c.label, 600)}, ` : ""}body: ${body}, headers: ${JSON.stringify(c.headers ?? {})}, query: ${clip(c.query ?? "", 200)} }`;
	return Object.assign(c, { [fc.toStringMethod]: () => text });
}

// ---- strings -------------------------------------------------------------------------------------------------------

const ODD_PIECES = [
	"\u0000",
	"\u0001",
	"\u001f",
	"\u007f",
	"\u0085",
	"\u00a0",
	"\u1680",
	"\u2028",
	"\u2029",
	"\u3000",
	"\ufeff",
	"\u200b",
	"\u200c",
	"\u200d",
	"\u200e",
	"\u200f",
	"\u202a",
	"\u202e",
	"\u2066",
	"\u2069",
	"\ud800",
	"\udbff",
	"\udc00",
	"\udfff",
	"\ufffd",
	"\ufffe",
	"\uffff",
	"🎉",
	"👩‍👩‍👧",
	"🏳️‍🌈",
	"\u0130",
	"ß",
	"ǅ",
	"e\u0301",
	"\u05e9\u05dc\u05d5\u05dd",
	"\u0645\u0631\u062d\u0628\u0627",
	"'",
	'"',
	"\\",
	"`",
	"%",
	"_",
	"%00",
	"\\u0000",
	"<script>",
	"'; DROP TABLE deploys; --",
	"__proto__",
	"constructor",
	" ",
	"\t",
	"\n",
	"\r\n",
];
const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));
const oddChar = fc.oneof(
	fc.constantFrom(...ODD_PIECES),
	fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
	loneSurrogate,
	fc.constantFrom("a", "Z", "0", "-"),
);
const oddText = fc.array(oddChar, { maxLength: 12 }).map((parts) => parts.join(""));
/** Lengths around every limit, and one that makes a body too big once escaped. */
const LENGTHS = [1, 63, 64, 65, 254, 255, 256, 2047, 2048, 2049, 9999, 10_000, 10_001, 65_535, 65_536, 65_537, 90_000];
const longText = fc
	.tuple(
		fc.constantFrom(...LENGTHS),
		fc.constantFrom("x", "é", "🎉", "\u0000", " ", "\ud800", "\u200b"),
		oddText,
		fc.boolean(),
	)
	.map(([length, fill, tail, padded]) => {
		const text = fill.repeat(Math.ceil(length / fill.length)).slice(0, length) + tail;
		return padded ? ` ${text}\n` : text;
	});
const text = fc.oneof(oddText, longText, fc.string({ maxLength: 40 }), fc.string({ unit: "binary", maxLength: 40 }));

/** Any JSON value, the odd strings among them. */
const jsonish: fc.Arbitrary<unknown> = fc.oneof(
	fc.jsonValue({ maxDepth: 3 }),
	text,
	fc.constant(null),
	fc.constant(""),
	fc.integer(),
	fc.double(),
	fc.boolean(),
	fc.constant([]),
	fc.constant({}),
	fc.array(text, { maxLength: 3 }),
	fc.dictionary(text, text, { maxKeys: 3 }),
);

// ---- the payload's fields -----------------------------------------------------------------------------------------

type Field = {
	path: [string] | [string, string];
	max: number;
	trim: boolean;
	required?: boolean;
	/** The deploys column it is stored in (lower-cased for the sha); none when it is stored transformed. */
	column?: string;
	lower?: boolean;
};
const TEXT_FIELDS: Field[] = [
	{ path: ["service"], max: 255, trim: true, required: true, column: "service_alias" },
	{ path: ["description"], max: 10_000, trim: false, required: true, column: "description" },
	{ path: ["environment"], max: 255, trim: true, column: "environment" },
	{ path: ["deploy_url"], max: 2048, trim: true, column: "deploy_url" },
	{ path: ["status"], max: 255, trim: true, column: "status_raw" },
	{ path: ["deploy_number"], max: 255, trim: true },
	{ path: ["deployer", "id"], max: 255, trim: true, column: "deployer_id" },
	{ path: ["deployer", "email"], max: 255, trim: true, column: "deployer_email" },
	{ path: ["deployer", "name"], max: 255, trim: true, column: "deployer_name" },
	{ path: ["commit", "sha"], max: 255, trim: true, column: "commit_sha", lower: true },
	{ path: ["commit", "message"], max: 65_536, trim: false, column: "commit_message" },
	{ path: ["commit", "branch"], max: 255, trim: true, column: "commit_branch" },
	{ path: ["commit", "committer_name"], max: 255, trim: true, column: "committer_name" },
	{ path: ["commit", "committer_email"], max: 255, trim: true, column: "committer_email" },
	{ path: ["commit", "author_name"], max: 255, trim: true, column: "author_name" },
	{ path: ["commit", "author_email"], max: 255, trim: true, column: "author_email" },
];
const DATE_FIELDS = [
	{ path: ["deployed_at"], required: true, column: "deployed_at", api: (d: any) => d.deployed_at },
	{ path: ["commit", "date"], column: "commit_date", api: (d: any) => d.commit?.date },
	{ path: ["commit", "authoring_date"], column: "authoring_date", api: (d: any) => d.commit?.authoring_date },
] as const;
const ALL_PATHS: string[][] = [
	["service"],
	["description"],
	["deployed_at"],
	["deployer"],
	["environment"],
	["deploy_url"],
	["dedup_id"],
	["deploy_number"],
	["status"],
	["commit"],
	...TEXT_FIELDS.filter((f) => f.path.length === 2).map((f) => [...f.path]),
	["commit", "date"],
	["commit", "authoring_date"],
	["pipeline"],
	["deployer", "avatar"],
	["commit", "parents"],
];

const isObject = (value: unknown): value is Record<string, unknown> =>
	typeof value === "object" && value !== null && !Array.isArray(value);

/** A fresh reference payload that only this case sends. */
function basePayload(): { payload: Record<string, unknown>; dedupId: string } {
	const dedupId = `fuzz-${crypto.randomUUID()}`;
	const payload = examplePayload({
		dedup_id: dedupId,
		deploy_url: "https://ci.example.com/jobs/234",
		status: "running",
	});
	return { payload, dedupId };
}

const DELETE = Symbol("delete");
type Mutation = { path: string[]; value: unknown };

/** Applies mutations to `payload` in place, answering the paths it really changed. */
function mutate(payload: Record<string, unknown>, mutations: Mutation[]): string[] {
	const touched: string[] = [];
	for (const { path, value } of mutations) {
		const parent = path.length === 1 ? payload : payload[path[0] as string];
		if (!isObject(parent)) continue;
		const key = path.at(-1) as string;
		if (value === DELETE) delete parent[key];
		// A copy: fast-check hands out the same value again (fc.constant({}) always), and a later mutation
		// writing into it would change other cases, or make this one circular.
		else parent[key] = structuredClone(value);
		touched.push(path.join("."));
	}
	return touched;
}

/** What the server makes of a string it is sent: lone surrogates read as U+FFFD (they have no UTF-8). */
const wellFormed = (value: string) => value.toWellFormed();

/** Per field: absent (blank), the error it must get, or the value it must store. */
function expectedText(field: Field, value: string): { absent: true } | { error: string } | { stored: string } {
	const sent = wellFormed(value);
	if (sent.trim() === "") return { absent: true };
	const kept = field.trim ? sent.trim() : sent;
	// The limits count characters (code points), not UTF-16 units: an emoji is one.
	if ([...kept].length > field.max) return { error: `param is longer than ${field.max} characters` };
	return { stored: field.lower ? kept.toLowerCase() : kept };
}

/** Expects a 400 naming exactly `errors` (field → detail message); `maybe` fields may be named too. */
function expectFieldErrors(answer: Answer, errors: Map<string, string>, maybe: Set<string> = new Set()): void {
	expectError(answer, 400);
	const named = new Map<string, string>(
		answer.body.errors.map((e: { detail: string }) => [fieldOf(e), e.detail.slice(0, e.detail.lastIndexOf(": "))]),
	);
	for (const [field, message] of errors) {
		expect(named.get(field), `error for ${field} in ${answer.text.slice(0, 500)}`).toBe(message);
	}
	for (const field of named.keys()) {
		expect(errors.has(field) || maybe.has(field), `unexpected error for ${field}: ${answer.text.slice(0, 500)}`).toBe(
			true,
		);
	}
	for (const e of answer.body.errors) expect(e.title).toBe(titleOf(fieldOf(e)));
}

// ---- date-times -----------------------------------------------------------------------------------------------------

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** A date-time in the accepted shapes with components that may be out of range, and the instant it names if any. */
/** Either end of the years a date-time may name, where an offset can push the instant out of them. */
const edges = fc.oneof(
	fc.record({ year: fc.constant(0), month: fc.constant(1), day: fc.constant(1), hour: fc.constantFrom(0, 1, 23) }),
	fc.record({
		year: fc.constant(9999),
		month: fc.constant(12),
		day: fc.constant(31),
		hour: fc.constantFrom(0, 22, 23),
	}),
);
const anyDay = fc.record({
	year: fc.oneof(fc.integer({ min: 0, max: 9999 }), fc.constantFrom(0, 1, 1969, 1970, 2000, 2019, 2024, 9999)),
	month: fc.integer({ min: 0, max: 13 }),
	day: fc.oneof(fc.integer({ min: 0, max: 32 }), fc.constantFrom(28, 29, 30, 31)),
	hour: fc.integer({ min: 0, max: 25 }),
});
const datetime = fc
	.record({
		date: fc.oneof({ arbitrary: anyDay, weight: 4 }, { arbitrary: edges, weight: 1 }),
		minute: fc.integer({ min: 0, max: 61 }),
		second: fc.option(fc.integer({ min: 0, max: 61 })),
		fraction: fc.option(fc.stringMatching(/^[0-9]{1,11}$/)),
		decimal: fc.constantFrom(".", ","),
		separator: fc.constantFrom("T", "t", " "),
		zone: fc.oneof(
			fc.constantFrom("", "Z", "z", " Z"),
			fc.record({
				sign: fc.constantFrom("+", "-"),
				hours: fc.integer({ min: 0, max: 25 }),
				minutes: fc.constantFrom(0, 30, 45, 59, 60),
				colon: fc.boolean(),
				space: fc.boolean(),
			}),
		),
		around: fc.constantFrom("", " ", "\t", "\n "),
	})
	.map(({ date, ...rest }) => ({ ...date, ...rest }))
	.map((d) => {
		const seconds =
			d.second === null ? "" : `:${pad(d.second)}${d.fraction === null ? "" : `${d.decimal}${d.fraction}`}`;
		const zone =
			typeof d.zone === "string"
				? d.zone
				: `${d.zone.space ? " " : ""}${d.zone.sign}${pad(d.zone.hours)}${d.zone.colon ? ":" : ""}${pad(d.zone.minutes)}`;
		const textual = `${d.around}${pad(d.year, 4)}-${pad(d.month)}-${pad(d.day)}${d.separator}${pad(d.hour)}:${pad(d.minute)}${seconds}${zone}${d.around}`;

		// The instant, computed from the parts: a date is real when the calendar gives back the same day.
		const day = new Date(0);
		day.setUTCFullYear(d.year, d.month - 1, d.day);
		const real =
			d.month >= 1 &&
			d.month <= 12 &&
			day.getUTCFullYear() === d.year &&
			day.getUTCMonth() === d.month - 1 &&
			day.getUTCDate() === d.day;
		const offset = typeof d.zone === "string" ? undefined : d.zone;
		const valid =
			real &&
			d.hour <= 23 &&
			d.minute <= 59 &&
			(d.second ?? 0) <= 59 &&
			(d.second === null || d.fraction === null || d.fraction.length <= 9) &&
			(offset === undefined || (offset.hours <= 23 && offset.minutes <= 59));
		if (!valid) return { text: textual, instant: null };
		const millis = d.second === null || d.fraction === null ? 0 : Number(d.fraction.padEnd(3, "0").slice(0, 3));
		const offsetMs =
			offset === undefined ? 0 : (offset.sign === "-" ? -1 : 1) * (offset.hours * 60 + offset.minutes) * 60_000;
		return {
			text: textual,
			instant: day.getTime() + ((d.hour * 60 + d.minute) * 60 + (d.second ?? 0)) * 1000 + millis - offsetMs,
		};
	});

// ---- the properties -------------------------------------------------------------------------------------------------

describe("fuzzing the webhook", () => {
	it("answers arbitrary JSON with a 202 or a 4xx and never records half a deploy", { timeout: 120_000 }, async () => {
		const KEYS = ALL_PATHS.filter((p) => p.length === 1).map((p) => p[0] as string);
		const body = fc.oneof(
			fc.jsonValue({ maxDepth: 6 }).map((value) => JSON.stringify(value)),
			fc.json({ maxDepth: 3 }),
			fc
				.dictionary(fc.oneof(fc.constantFrom(...KEYS), fc.string()), jsonish, { maxKeys: 12 })
				.map((value) => JSON.stringify(value)),
			fc
				.record(
					{
						service: jsonish,
						description: jsonish,
						deployed_at: fc.oneof(
							jsonish,
							datetime.map((d) => d.text),
						),
						deployer: fc.oneof(jsonish, fc.record({ name: jsonish, email: jsonish }, { requiredKeys: [] })),
						dedup_id: jsonish,
						deploy_number: jsonish,
						commit: jsonish,
					},
					{ requiredKeys: [] },
				)
				.map((value) => JSON.stringify(value)),
		);
		await fuzz("arbitrary JSON", batchOf(body.map((b): Case => ({ body: b }))), 250);
	});

	it("refuses a mutated payload only for the fields it mutated", { timeout: 120_000 }, async () => {
		const mutation = fc.record({
			path: fc.constantFrom(...ALL_PATHS),
			value: fc.oneof({ arbitrary: jsonish, weight: 4 }, { arbitrary: fc.constant(DELETE), weight: 1 }),
		});
		const one = fc.array(mutation, { minLength: 1, maxLength: 3 }).map((mutations): Case => {
			const { payload, dedupId } = basePayload();
			const touched = mutate(payload, mutations);
			const related = (field: string) =>
				touched.some((path) => field === path || path.startsWith(`${field}.`) || field.startsWith(`${path}.`));
			return {
				label: `mutated ${JSON.stringify(mutations.map((m) => [m.path.join("."), m.value === DELETE ? "(deleted)" : m.value]))}`,
				body: JSON.stringify(payload),
				dedupId: touched.includes("dedup_id") ? undefined : dedupId,
				check: (answer, row) => {
					if (answer.status === 400) {
						for (const error of answer.body.errors) {
							expect(related(fieldOf(error)), `${error.detail} after mutating ${touched}`).toBe(true);
						}
					} else if (answer.status === 202) {
						if (!touched.includes("dedup_id")) {
							expect(answer.body.result).toBe("no_service_found");
							expect(row).toBeDefined();
						}
					}
				},
			};
		});
		await fuzz("mutated payloads", batchOf(one), 300);
	});

	it("stores odd and long strings as sent, or refuses them naming the field", { timeout: 120_000 }, async () => {
		const edit = fc.record({ field: fc.constantFrom(...TEXT_FIELDS), value: text });
		const one = fc.uniqueArray(edit, { minLength: 1, maxLength: 3, selector: (e) => e.field }).map((edits): Case => {
			const { payload, dedupId } = basePayload();
			mutate(
				payload,
				edits.map((e) => ({ path: e.field.path, value: e.value })),
			);
			const errors = new Map<string, string>();
			const stored = new Map<Field, string | null>();
			for (const { field, value } of edits) {
				const name = field.path.join(".");
				const expected = expectedText(field, value);
				if ("error" in expected) errors.set(name, expected.error);
				else if ("absent" in expected) {
					if (field.required) errors.set(name, MISSING);
					else stored.set(field, null);
				} else stored.set(field, expected.stored);
			}
			const deployer = payload.deployer as Record<string, string>;
			const blank = (key: string) => typeof deployer[key] !== "string" || deployer[key].trim() === "";
			const maybe = new Set<string>();
			// The deployer as a whole is judged only once its fields are valid.
			if ([...errors.keys()].some((f) => f.startsWith("deployer."))) maybe.add("deployer");
			else if (blank("email") && blank("name")) errors.set("deployer", "param needs a non-empty email or name");
			return {
				label: `set ${JSON.stringify(edits.map((e) => [e.field.path.join("."), e.value]))}`,
				body: JSON.stringify(payload),
				dedupId,
				check: (answer, row) => {
					if (answer.status === 413) return;
					if (errors.size > 0) return expectFieldErrors(answer, errors, maybe);
					const service = wellFormed(payload.service as string).trim();
					expect(answer.status, answer.text).toBe(202);
					expect(answer.body).toEqual({
						result: "no_service_found",
						message: `No service found matching alias '${service}'. Recording '${service}' as a suggestion.`,
					});
					for (const [field, value] of stored) {
						if (field.column) expect(row?.[field.column], field.path.join(".")).toBe(value);
						else if (value !== null) expect(row?.deploy_number).toBe(value);
					}
				},
			};
		});
		await fuzz("odd strings", batchOf(one), 200);
	});

	it("reads date-times exactly, refusing impossible ones by name", { timeout: 120_000 }, async () => {
		const value = fc.oneof(
			{ arbitrary: datetime, weight: 4 },
			{
				arbitrary: fc
					.oneof(text, fc.constantFrom("", "  ", "2019-02-01", "13:28:33", "2019-02-01T13:28:33+24:00"))
					.map((t) => ({ text: t, instant: undefined })),
				weight: 1,
			},
		);
		const edit = fc.record({ field: fc.constantFrom(...DATE_FIELDS), value });
		const one = fc.uniqueArray(edit, { minLength: 1, maxLength: 3, selector: (e) => e.field }).map((edits): Case => {
			const { payload, dedupId } = basePayload();
			mutate(
				payload,
				edits.map((e) => ({ path: [...e.field.path], value: e.value.text })),
			);
			const errors = new Map<string, string>();
			const maybe = new Set<string>();
			const expected = new Map<(typeof DATE_FIELDS)[number], number | null>();
			for (const { field, value } of edits) {
				const name = field.path.join(".");
				const blank = value.text.trim() === "";
				if (blank) {
					if ("required" in field) errors.set(name, MISSING);
					else expected.set(field, null);
				} else if (value.instant === undefined) maybe.add(name);
				else if (value.instant === null) errors.set(name, NO_DATETIME);
				else if (value.instant < FIRST_INSTANT || value.instant > LAST_INSTANT) errors.set(name, OUT_OF_RANGE);
				else expected.set(field, value.instant);
			}
			return {
				label: `set ${JSON.stringify(edits.map((e) => [e.field.path.join("."), e.value.text]))}`,
				body: JSON.stringify(payload),
				dedupId,
				check: async (answer, row) => {
					if (answer.status === 413) return;
					if (errors.size > 0 || answer.status === 400) return expectFieldErrors(answer, errors, maybe);
					expect(answer.status, answer.text).toBe(202);
					const api = await admin("GET", `/deploys/${row?.id}`);
					expect(api.status).toBe(200);
					for (const [field, instant] of expected) {
						expect(row?.[field.column], field.column).toBe(instant);
						const shown = field.api(api.body);
						if (instant === null) continue;
						expect(shown, field.column).toMatch(ISO_DATETIME);
						expect(new Date(shown).getTime()).toBe(instant);
					}
				},
			};
		});
		await fuzz("date-times", batchOf(one), 200);
	});

	it("reads the body as JSON whatever the headers, and keeps the agent parameter as sent", {
		timeout: 120_000,
	}, async () => {
		const CONTENT_TYPES = [
			"application/json",
			"application/json; charset=utf-8",
			"application/json; charset=utf-16",
			"text/plain",
			"application/x-www-form-urlencoded",
			"multipart/form-data; boundary=x",
			"application/octet-stream",
			"application/xml",
			"*/*",
			"",
		];
		const headerText = fc.string({
			unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
			maxLength: 60,
		});
		const headers = fc.record(
			{
				"Content-Type": fc.oneof(fc.constantFrom(...CONTENT_TYPES), headerText),
				"Content-Encoding": fc.constantFrom("gzip", "br", "identity", "x-garbage"),
				Accept: fc.oneof(fc.constantFrom("text/html", "application/json", "*/*"), headerText),
			},
			{ requiredKeys: [] },
		);
		/** Bodies that still carry the payload, as JSON. */
		const wrap = fc.constantFrom(
			(json: string) => json,
			(json: string) => `\ufeff${json}`,
			(json: string) => ` \n\t${json}\r\n `,
		);
		/** Bodies that do not. */
		const junk = fc.oneof(
			fc.uint8Array({ maxLength: 200 }),
			fc.string({ unit: "binary", maxLength: 200 }),
			fc.constantFrom("service=shopping_cart&description=deploy", "{", "[", '{"service":', "\u0000", "nul", "NaN"),
			fc.nat({ max: 400 }).map((cut) => JSON.stringify(examplePayload()).slice(0, cut)),
			fc.constantFrom("}", "]", ",", "x", "\u0000").map((tail) => `${JSON.stringify(examplePayload())}${tail}`),
		);
		const agent = fc.oneof(text, fc.constant(undefined)).map((a) => (a === undefined ? undefined : wellFormed(a)));
		const junkQuery = fc.constantFrom("", "&", "&=", "&%", "&%ZZ=1", "&x=%E0%A4%A", "&agent=second", "&service=other");
		const one = fc
			.record({
				headers,
				body: fc.oneof({ arbitrary: wrap, weight: 2 }, { arbitrary: junk, weight: 1 }),
				agent,
				junkQuery,
			})
			.map(({ headers, body, agent, junkQuery }): Case => {
				const query = `${agent === undefined ? "?" : `?agent=${encodeURIComponent(agent)}`}${junkQuery}`;
				if (typeof body !== "function") {
					return { body, headers, query, check: (answer) => expect(answer.status, answer.text).toBe(400) };
				}
				const { payload, dedupId } = basePayload();
				// Hono reads the first `agent=`; an empty one reads as none.
				const firstAgent = agent ?? (junkQuery === "&agent=second" ? "second" : undefined);
				const expectedAgent = firstAgent === undefined ? null : firstChars(firstAgent, 255) || null;
				return {
					body: body(JSON.stringify(payload)),
					headers,
					query,
					dedupId,
					check: (answer, row) => {
						if (answer.status === 413) return;
						expect(answer.status, answer.text).toBe(202);
						expect(row?.agent).toBe(expectedAgent);
						expect(row?.service_alias).toBe("shopping_cart");
					},
				};
			});
		await fuzz("headers, bodies and query strings", batchOf(one), 200);
	});

	it("refuses bodies nested too deep, and shrugs off huge unknown fields", { timeout: 120_000 }, async () => {
		/** Where the nesting goes, and how many levels sit above it. */
		const PLACES = [
			{ where: "body", above: 0, known: false },
			{ where: "pipeline", above: 1, known: false },
			{ where: "deployer.avatar", above: 2, known: false },
			{ where: "commit.parents", above: 2, known: false },
			{ where: "service", above: 1, known: true },
			{ where: "commit.message", above: 2, known: true },
		] as const;
		const nested = fc
			.record({
				place: fc.constantFrom(...PLACES),
				depth: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.constantFrom(29, 30, 31, 32, 33, 34, 200, 5_000, 100_000)),
				open: fc.constantFrom("[", '{"k":', '{"":', '{"a\\"[{":', "[0,"),
				inner: fc.constantFrom("0", '"[[[{{{"', "null", '"\\\\"', "{}", "[]"),
			})
			.map(({ place, depth, open, inner }): Case => {
				const close = open === "[" || open === "[0," ? "]" : "}";
				// An empty container opens a level too.
				const innerDepth = inner === "{}" || inner === "[]" ? 1 : 0;
				const value = `${open.repeat(depth)}${inner}${close.repeat(depth)}`;
				const { payload, dedupId } = basePayload();
				let body: string;
				if (place.where === "body") body = value;
				else {
					const marker = "\u0000marker\u0000";
					mutate(payload, [{ path: place.where.split("."), value: marker }]);
					body = JSON.stringify(payload).replace(JSON.stringify(marker), value);
				}
				const total = place.above + depth + innerDepth;
				return {
					label: `${depth} × ${open} ${inner} at ${place.where}: depth ${total}`,
					body,
					dedupId,
					check: (answer, row) => {
						if (answer.status === 413) return;
						if (total > MAX_JSON_DEPTH) {
							expectError(answer, 400, "Body Error");
							expect(answer.body.errors).toHaveLength(1);
							expect(answer.body.errors[0].detail).toContain(`deeper than ${MAX_JSON_DEPTH} levels`);
							if (place.where !== "body") expect(answer.body.errors[0].detail).toContain(place.where);
						} else if (place.where === "body") {
							expectError(answer, 400);
						} else if (place.known) {
							expectFieldErrors(answer, new Map([[place.where, "param must be a string"]]));
						} else {
							expect(answer.status, answer.text).toBe(202);
							expect(row).toBeDefined();
						}
					},
				};
			});
		const huge = fc
			.record({
				kind: fc.constantFrom("string", "keys", "array", "numbers"),
				size: fc.constantFrom(1_000, 50_000, 400_000, 520_000, 600_000),
			})
			.map(({ kind, size }): Case => {
				const { payload, dedupId } = basePayload();
				const extra =
					kind === "string"
						? "x".repeat(size)
						: kind === "keys"
							? Object.fromEntries(Array.from({ length: size / 20 }, (_, i) => [`k${i}`, i]))
							: kind === "array"
								? Array.from({ length: size / 4 }, () => [])
								: Array.from({ length: size / 8 }, (_, i) => i * 1.5);
				const body = JSON.stringify({ ...payload, extra });
				return {
					label: `extra: ${kind} of ${size}`,
					body,
					dedupId,
					check: (answer, row) => {
						if (bytesOf(body) > MAX_BODY_BYTES) return;
						expect(answer.status, answer.text).toBe(202);
						expect(row).toBeDefined();
					},
				};
			});
		await fuzz("depth and size", fc.array(fc.oneof(nested, huge).map(printable), { minLength: 1, maxLength: 3 }), 100);
	});
});

/** The first `max` characters (code points) of `text`. */
const firstChars = (text: string, max: number) => [...text].slice(0, max).join("");
