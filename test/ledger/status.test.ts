import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { database } from "../../src/db/client";
import { newId } from "../../src/db/ids";
import { writeDeploys } from "../../src/db/ingest";
import type { LedgerEntry } from "../../src/model/entry";
import { advances, normalizeStatus, STATUSES, type Status, type StatusChange } from "../../src/model/status";
import { parseDeployPayload } from "../../src/webhook/payload";
import {
	admin,
	api,
	deploysOf,
	examplePayload,
	type Integration,
	ISO_DATETIME,
	integrationBeforeAll,
	postDeploy,
	unique,
	withBrokenDeployWrites,
} from "../helpers";
import { ledgerOf } from "./helpers";

const integration = integrationBeforeAll("status tests");

const DUPLICATE = {
	result: "duplicate_deploy",
	message: "Deploy not created due to existing deploy with identical dedup_id",
};

/** One deploy's webhook, sent again and again: `send(status?)` posts it with that status (none if omitted). */
function deployOf(alias: string, to: Integration = integration) {
	const payload = examplePayload({ service: alias });
	return (status?: string) => postDeploy(to.webhook_url, { ...payload, status });
}

/** The one deploy recorded under `alias`, insisting there is exactly one. */
async function onlyDeploy(alias: string) {
	const deploys = await deploysOf(alias);
	expect(deploys).toHaveLength(1);
	return deploys[0];
}

/** GET /api/deploys/:id, insisting on a 200. */
async function deployById(id: string) {
	const res = await admin("GET", `/deploys/${id}`);
	expect(res.status).toBe(200);
	return res.body;
}

/** A deploy's status history as GET /api/deploys/:id answers it, oldest first. */
async function historyOf(deployId: string): Promise<{ status: string; raw: string; at: string }[]> {
	return (await deployById(deployId)).status_history;
}

const statusesIn = (history: { status: string }[]) => history.map((h) => h.status);

describe("normalizeStatus", () => {
	it.each([
		["success", "success"],
		["SUCCESS", "success"],
		["Succeeded", "success"],
		["successful", "success"],
		["passed", "success"],
		["  Passed  ", "success"],
		["failure", "failure"],
		["failed", "failure"],
		["Failed", "failure"],
		["error", "failure"],
		["ERROR", "failure"],
		["canceled", "canceled"],
		["cancelled", "canceled"],
		["Cancelled", "canceled"],
		["aborted", "canceled"],
		["running", "running"],
		["in_progress", "running"],
		["In Progress", "running"],
		["in-progress", "running"],
		["IN-PROGRESS", "running"],
		["queued", "queued"],
		["Queued", "queued"],
		["pending", "queued"],
		["PENDING", "queued"],
	])("reads %j as %s", (raw, status) => {
		expect(normalizeStatus(raw)).toBe(status);
	});

	it.each([
		"unknown",
		"banana",
		"",
		"   ",
		"success!",
		"in progress please",
		"no_status",
		"constructor",
		"__proto__",
		"toString",
	])("reads %j as no_status", (raw) => {
		expect(normalizeStatus(raw)).toBe("no_status");
	});

	it("only ever answers one of STATUSES", () => {
		for (const raw of ["Succeeded", "weird", "constructor", "__proto__", "hasOwnProperty", "valueOf"]) {
			expect(STATUSES).toContain(normalizeStatus(raw));
		}
	});
});

describe("advances", () => {
	/** Every move forward; any other pair of statuses, the same status included, is not one. */
	const FORWARD: [Status, Status][] = [
		["no_status", "queued"],
		["no_status", "running"],
		["no_status", "success"],
		["no_status", "failure"],
		["no_status", "canceled"],
		["queued", "running"],
		["queued", "success"],
		["queued", "failure"],
		["queued", "canceled"],
		["running", "success"],
		["running", "failure"],
		["running", "canceled"],
	];
	const pairs = STATUSES.flatMap((from) => STATUSES.map((to) => [from, to] as [Status, Status]));

	it.each(pairs)("%s → %s", (from, to) => {
		const forward = FORWARD.some(([f, t]) => f === from && t === to);
		expect(advances(from, to)).toBe(forward);
	});

	it("knows six statuses", () => {
		expect([...STATUSES].sort()).toEqual(["canceled", "failure", "no_status", "queued", "running", "success"]);
	});
});

describe("status through the webhook", () => {
	it("records a deploy sent without a status as no_status", async () => {
		const alias = unique("none");
		expect((await deployOf(alias)()).status).toBe(202);
		const deploy = await onlyDeploy(alias);
		expect(deploy).toMatchObject({ status: "no_status", status_raw: null });
		expect(await historyOf(deploy.id)).toEqual([]);
	});

	it("reads a blank status as none", async () => {
		const alias = unique("blank");
		await deployOf(alias)("  ");
		expect(await onlyDeploy(alias)).toMatchObject({ status: "no_status", status_raw: null });
	});

	it("stores the first status normalized, keeping what was sent", async () => {
		const alias = unique("first");
		await deployOf(alias)("Succeeded");
		expect(await onlyDeploy(alias)).toMatchObject({ status: "success", status_raw: "Succeeded" });
	});

	it("stores an unknown status as no_status, keeping what was sent", async () => {
		const alias = unique("unknown");
		await deployOf(alias)("rolled-sideways");
		expect(await onlyDeploy(alias)).toMatchObject({ status: "no_status", status_raw: "rolled-sideways" });
	});

	// A status naming an Object.prototype member must read as unknown like any other, not stall the deploy.
	it.each(["constructor", "__proto__"])("records a deploy whose status is %j as no_status", async (raw) => {
		const other = await api.createIntegration(unique("proto CI"));
		const alias = unique("proto");
		const send = deployOf(alias, other);

		expect((await send(raw)).status).toBe(202);
		expect(await ledgerOf(other).pendingCount()).toBe(0);
		expect(await onlyDeploy(alias)).toMatchObject({ status: "no_status", status_raw: raw });

		await send("success");
		expect(await onlyDeploy(alias)).toMatchObject({ status: "success", status_raw: "success" });
	});

	it("advances queued → running → success on repeats of the dedup_id, answering duplicate_deploy", async () => {
		const alias = unique("progress");
		const send = deployOf(alias);

		expect(await send("queued")).toEqual({
			status: 202,
			body: expect.objectContaining({ result: "no_service_found" }),
		});
		expect(await onlyDeploy(alias)).toMatchObject({ status: "queued", status_raw: "queued" });

		expect(await send("running")).toEqual({ status: 202, body: DUPLICATE });
		expect(await onlyDeploy(alias)).toMatchObject({ status: "running", status_raw: "running" });

		expect(await send("success")).toEqual({ status: 202, body: DUPLICATE });
		expect(await onlyDeploy(alias)).toMatchObject({ status: "success", status_raw: "success" });
	});

	it("advances the status of a deploy to a service, answering ok and then duplicate_deploy", async () => {
		const alias = unique("matched");
		const service = await api.createService(alias, [alias]);
		const send = deployOf(alias);

		expect(await send("queued")).toEqual({ status: 202, body: { result: "ok" } });
		expect(await send("success")).toEqual({ status: 202, body: DUPLICATE });

		expect(await onlyDeploy(alias)).toMatchObject({ status: "success", service: { id: service.id } });
	});

	it("advances from no status to the first one reported", async () => {
		const alias = unique("late-status");
		const send = deployOf(alias);
		await send();
		expect(await send("In Progress")).toEqual({ status: 202, body: DUPLICATE });
		expect(await onlyDeploy(alias)).toMatchObject({ status: "running", status_raw: "In Progress" });
	});

	it("keeps the pipeline's spelling of each step", async () => {
		const alias = unique("spelling");
		const send = deployOf(alias);
		await send("Pending");
		await send("in-progress");
		await send("Succeeded");
		const deploy = await onlyDeploy(alias);
		expect(deploy).toMatchObject({ status: "success", status_raw: "Succeeded" });
		expect((await historyOf(deploy.id)).map(({ status, raw }) => ({ status, raw }))).toEqual([
			{ status: "queued", raw: "Pending" },
			{ status: "running", raw: "in-progress" },
			{ status: "success", raw: "Succeeded" },
		]);
	});

	it.each(["running", "queued", "In Progress", "pending"])("does not let a late %j overwrite success", async (late) => {
		const alias = unique("late");
		const send = deployOf(alias);
		await send("queued");
		await send("success");

		expect(await send(late)).toEqual({ status: 202, body: DUPLICATE });

		expect(await onlyDeploy(alias)).toMatchObject({ status: "success", status_raw: "success" });
	});

	it.each([
		["success", "failure"],
		["success", "canceled"],
		["failure", "success"],
		["failure", "canceled"],
		["canceled", "success"],
		["canceled", "failed"],
	])("keeps the terminal %s when %s follows", async (terminal, later) => {
		const alias = unique("terminal");
		const send = deployOf(alias);
		await send(terminal);

		expect(await send(later)).toEqual({ status: 202, body: DUPLICATE });

		const deploy = await onlyDeploy(alias);
		expect(deploy).toMatchObject({ status: terminal, status_raw: terminal });
		expect(statusesIn(await historyOf(deploy.id))).toEqual([terminal]);
	});

	it("changes nothing for the same status spelled differently", async () => {
		const alias = unique("respelled");
		const send = deployOf(alias);
		await send("success");

		expect(await send("Succeeded")).toEqual({ status: 202, body: DUPLICATE });

		const deploy = await onlyDeploy(alias);
		expect(deploy).toMatchObject({ status: "success", status_raw: "success" });
		expect((await historyOf(deploy.id)).map((h) => h.raw)).toEqual(["success"]);
	});

	it("changes nothing for a repeat without a status, or with an unknown one", async () => {
		const alias = unique("silent");
		const send = deployOf(alias);
		await send("running");

		expect(await send()).toEqual({ status: 202, body: DUPLICATE });
		expect(await send("mystery")).toEqual({ status: 202, body: DUPLICATE });

		const deploy = await onlyDeploy(alias);
		expect(deploy).toMatchObject({ status: "running", status_raw: "running" });
		expect(statusesIn(await historyOf(deploy.id))).toEqual(["running"]);
	});

	it("updates only the deploy of its own integration when another shares the dedup_id", async () => {
		const alias = unique("two-ci");
		const other = await api.createIntegration(unique("other CI"));
		const payload = examplePayload({ service: alias, status: "queued" });
		await postDeploy(integration.webhook_url, payload);
		await postDeploy(other.webhook_url, payload);

		expect(await postDeploy(other.webhook_url, { ...payload, status: "success" })).toEqual({
			status: 202,
			body: DUPLICATE,
		});

		const byIntegration = Object.fromEntries((await deploysOf(alias)).map((d) => [d.integration_id, d.status]));
		expect(byIntegration).toEqual({ [integration.id]: "queued", [other.id]: "success" });
	});
});

describe("status history", () => {
	it("records each step forward once, oldest first, with what was sent and when", async () => {
		const alias = unique("history");
		const send = deployOf(alias);
		await send("queued");
		await send("running");
		await send("running");
		await send("success");
		await send("failure");
		await send("queued");

		const history = await historyOf((await onlyDeploy(alias)).id);
		expect(history).toEqual([
			{ status: "queued", raw: "queued", at: expect.stringMatching(ISO_DATETIME) },
			{ status: "running", raw: "running", at: expect.stringMatching(ISO_DATETIME) },
			{ status: "success", raw: "success", at: expect.stringMatching(ISO_DATETIME) },
		]);
		const times = history.map((h) => Date.parse(h.at));
		expect(times).toEqual([...times].sort((a, b) => a - b));
	});

	it("dates each step when it was reported", async () => {
		const alias = unique("dated");
		const send = deployOf(alias);
		const before = Date.now();
		await send("queued");
		await send("success");
		const after = Date.now();
		const history = await historyOf((await onlyDeploy(alias)).id);
		expect(statusesIn(history)).toEqual(["queued", "success"]);
		for (const { at } of history) {
			expect(Date.parse(at)).toBeGreaterThanOrEqual(before);
			expect(Date.parse(at)).toBeLessThanOrEqual(after);
		}
	});

	it("is part of GET /api/deploys/:id, beside the deploy as the list shows it", async () => {
		const alias = unique("detail");
		const send = deployOf(alias);
		await send("queued");
		await send("Succeeded");
		const listed = await onlyDeploy(alias);

		const detail = await deployById(listed.id);

		expect(detail).toEqual({
			...listed,
			status_history: [
				{ status: "queued", raw: "queued", at: expect.stringMatching(ISO_DATETIME) },
				{ status: "success", raw: "Succeeded", at: expect.stringMatching(ISO_DATETIME) },
			],
		});
	});
});

describe("status while D1 fails", () => {
	it("keeps an update pending in the ledger and delivers it from the alarm", async () => {
		const other = await api.createIntegration(unique("durable CI"));
		const alias = unique("durable");
		const send = deployOf(alias, other);
		await send("queued");

		await withBrokenDeployWrites(async () => {
			expect(await send("success")).toEqual({ status: 202, body: DUPLICATE });
			expect(await ledgerOf(other).pendingCount()).toBe(1);
			expect(await onlyDeploy(alias)).toMatchObject({ status: "queued" });
		});

		expect(await runDurableObjectAlarm(ledgerOf(other))).toBe(true);

		const deploy = await onlyDeploy(alias);
		expect(deploy).toMatchObject({ status: "success", status_raw: "success" });
		expect(statusesIn(await historyOf(deploy.id))).toEqual(["queued", "success"]);
		expect(await ledgerOf(other).pendingCount()).toBe(0);
	});

	it("delivers the deploy and every status when updates arrive before D1 has the deploy", async () => {
		const other = await api.createIntegration(unique("late D1 CI"));
		const alias = unique("never-delivered");
		const send = deployOf(alias, other);
		await withBrokenDeployWrites(async () => {
			await send("queued");
			expect(await send("running")).toEqual({ status: 202, body: DUPLICATE });
			expect(await deploysOf(alias)).toHaveLength(0);
			expect(await ledgerOf(other).pendingCount()).toBe(1);
		});

		await runDurableObjectAlarm(ledgerOf(other));

		const deploy = await onlyDeploy(alias);
		expect(deploy).toMatchObject({ status: "running", status_raw: "running" });
		expect(statusesIn(await historyOf(deploy.id))).toEqual(["queued", "running"]);
	});

	it("delivers a newer status straight away once D1 is back, and the alarm then has nothing to undo", async () => {
		const other = await api.createIntegration(unique("recovered CI"));
		const alias = unique("recovered");
		const send = deployOf(alias, other);
		await withBrokenDeployWrites(() => send("running"));

		expect(await send("success")).toEqual({ status: 202, body: DUPLICATE });
		expect(await ledgerOf(other).pendingCount()).toBe(0);
		await runDurableObjectAlarm(ledgerOf(other));

		expect(await onlyDeploy(alias)).toMatchObject({ status: "success", status_raw: "success" });
	});
});

describe("writeDeploys, delivered out of order", () => {
	/** Ledger entries for one fresh deploy under `alias`: `(stage)` gives it with the first `stage` steps of its history. */
	function entryFor(alias: string, steps?: (at: number) => StatusChange[]) {
		const receivedAt = Date.now();
		const base: LedgerEntry = {
			integrationId: integration.id,
			serviceId: null,
			agent: null,
			payload: parseDeployPayload(examplePayload({ service: alias })),
			id: newId(receivedAt),
			deployNumber: "1",
			receivedAt,
			statuses: [],
		};
		const history = steps?.(receivedAt) ?? [
			{ status: "queued", raw: "Queued", at: receivedAt },
			{ status: "running", raw: "Running", at: receivedAt + 1 },
			{ status: "success", raw: "Succeeded", at: receivedAt + 2 },
		];
		return (stage: number): LedgerEntry => ({ ...base, statuses: history.slice(0, stage) });
	}

	it("moves a deploy forward with each newer entry", async () => {
		const alias = unique("in-order");
		const at = entryFor(alias);
		const db = database(env.DB);
		for (const [stage, status] of [
			[0, "no_status"],
			[1, "queued"],
			[2, "running"],
			[3, "success"],
		] as const) {
			await writeDeploys(db, [at(stage)]);
			expect((await onlyDeploy(alias)).status).toBe(status);
		}
	});

	it.each([0, 1, 2])("keeps success when an entry with %i older steps lands afterwards", async (stage) => {
		const alias = unique("out-of-order");
		const at = entryFor(alias);
		const db = database(env.DB);
		await writeDeploys(db, [at(3)]);

		await writeDeploys(db, [at(stage)]);

		const deploy = await onlyDeploy(alias);
		expect(deploy).toMatchObject({ status: "success", status_raw: "Succeeded" });
		expect(statusesIn(await historyOf(deploy.id))).toEqual(["queued", "running", "success"]);
	});

	// The ledger stamps each step with Date.now(), which in workerd stands still within a request and can repeat
	// across requests landing in the same millisecond: the history must still read in the order it happened.
	it("lists steps that share a millisecond in the order they happened", async () => {
		const alias = unique("same-ms");
		const at = entryFor(alias, (ms) => [
			{ status: "queued", raw: "queued", at: ms },
			{ status: "running", raw: "running", at: ms },
			{ status: "canceled", raw: "canceled", at: ms },
		]);
		await writeDeploys(database(env.DB), [at(3)]);

		const deploy = await onlyDeploy(alias);
		expect(deploy.status).toBe("canceled");
		expect(statusesIn(await historyOf(deploy.id))).toEqual(["queued", "running", "canceled"]);
	});

	it("keeps running when the queued entry lands after it", async () => {
		const alias = unique("running-first");
		const at = entryFor(alias);
		const db = database(env.DB);
		await writeDeploys(db, [at(2)]);
		await writeDeploys(db, [at(1)]);
		expect(await onlyDeploy(alias)).toMatchObject({ status: "running", status_raw: "Running" });
	});
});

describe("status under concurrency", () => {
	it("settles 20 simultaneous webhooks with one dedup_id and mixed statuses on one deploy, status success", async () => {
		const other = await api.createIntegration(unique("racing CI"));
		const alias = unique("racing");
		const payload = examplePayload({ service: alias });
		const statuses = ["queued", "running", "success"];

		const responses = await Promise.all(
			Array.from({ length: 20 }, (_, i) =>
				postDeploy(other.webhook_url, { ...payload, status: statuses[i % statuses.length] }),
			),
		);

		const results = responses.map((r) => `${r.status} ${r.body.result}`);
		expect(results.filter((r) => r === "202 no_service_found")).toHaveLength(1);
		expect(results.filter((r) => r === "202 duplicate_deploy")).toHaveLength(19);
		const deploy = await onlyDeploy(alias);
		expect(deploy.status).toBe("success");
		const history = statusesIn(await historyOf(deploy.id));
		expect(new Set(history).size).toBe(history.length);
		expect(history.at(-1)).toBe("success");
		expect(history).toEqual(statuses.filter((s) => history.includes(s)));
		expect(await ledgerOf(other).pendingCount()).toBe(0);
	});
});
