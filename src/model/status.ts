// src/model/ is shared vocabulary: constants, types and pure functions, with no I/O and no imports from the app.
/** Where a deploy stands. Pipelines say it many ways; these are the words the API speaks. */
export const STATUSES = ["queued", "running", "success", "failure", "canceled", "no_status"] as const;
export type Status = (typeof STATUSES)[number];

/**
 * The statuses of a deploy that runs once it has them: it succeeded, or its
 * pipeline reports only finished deploys and sent none. A failed, canceled,
 * queued or running deploy is an attempt: what ran before it still runs.
 */
export const LIVE_STATUSES = ["success", "no_status"] as const satisfies readonly Status[];

/** One step in a deploy's history: what the pipeline said, what we read, and when it arrived. */
export type StatusChange = { status: Status; raw: string; at: number };

const SYNONYMS: Record<string, Status> = {
	queued: "queued",
	pending: "queued",
	waiting: "queued",
	scheduled: "queued",
	created: "queued",
	requested: "queued",
	running: "running",
	in_progress: "running",
	inprogress: "running",
	started: "running",
	deploying: "running",
	success: "success",
	succeeded: "success",
	successful: "success",
	succeed: "success",
	passed: "success",
	ok: "success",
	done: "success",
	completed: "success",
	complete: "success",
	deployed: "success",
	finished: "success",
	failure: "failure",
	failed: "failure",
	fail: "failure",
	error: "failure",
	errored: "failure",
	canceled: "canceled",
	cancelled: "canceled",
	cancel: "canceled",
	aborted: "canceled",
	stopped: "canceled",
	terminated: "canceled",
	skipped: "canceled",
};

/** `Succeeded`, `IN-PROGRESS`, `cancelled` → the API's words; anything unknown is `no_status`. */
export function normalizeStatus(raw: string): Status {
	const word = raw
		.trim()
		.toLowerCase()
		.replace(/[\s-]+/g, "_");
	// Own keys only: `constructor` or `__proto__` must not find the prototype's members.
	return Object.hasOwn(SYNONYMS, word) ? (SYNONYMS[word] as Status) : "no_status";
}

/** Statuses only move forward: queued → running → a terminal one, which is final. */
export const STAGE: Record<Status, number> = {
	no_status: 0,
	queued: 1,
	running: 2,
	success: 3,
	failure: 3,
	canceled: 3,
};

export function advances(from: Status, to: Status): boolean {
	return STAGE[to] > STAGE[from];
}

export function currentStatus(history: readonly StatusChange[]): Status {
	return history.at(-1)?.status ?? "no_status";
}
