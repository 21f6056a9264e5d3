import { z } from "zod";
import type { Actor } from "../audit/actor";
import { audited } from "../audit/log";
import { serviceIdFor } from "../db/catalog";
import type { Database } from "../db/client";
import type { ListedDeploy } from "../db/deploys";
import {
	type Blame,
	blamesOf,
	deployServiceId,
	externalIncident,
	findIncident,
	findIncidents,
	type Incident,
	insertIncident,
	type NewIncident,
	resolveStatement,
} from "../db/incidents";
import { formatDatetime, HOUR } from "../http/datetime";
import { ApiError, isUniqueViolation } from "../http/errors";
import {
	MAX_ID,
	MAX_NAME,
	object,
	oneOf,
	optional,
	optionalText,
	requiredDatetime,
	requiredText,
	validate,
} from "../http/validation";
import { environmentKey } from "../model/environment";

// Incidents: opened and resolved through the API, the UI or an alerting tool's
// webhook (webhook/incidents.ts), and counted by the incident-based DORA figures.

/** The longest incident title: an alert's summary, not its body. */
export const MAX_TITLE = 500;
/** The longest link: as a deploy's URL. */
const MAX_URL = 2048;
/** How far ahead of our clock a time may be: a sender's clock runs a little fast. */
const CLOCK_SKEW_MS = 5 * 60_000;

/** A link to the incident elsewhere: http(s) only, so no page ever carries a `javascript:` link. */
const link = optionalText({ max: MAX_URL }).refine(
	(value) => value === undefined || (URL.canParse(value) && /^https?:$/.test(new URL(value).protocol)),
	{ message: "param must be an http or https URL" },
);

const time = requiredDatetime({ fourDigitYear: true });

/** What an incident is about, however it is opened. */
const about = {
	service: requiredText({ max: MAX_NAME }).describe("The service's id or any of its aliases"),
	environment: optionalText({ max: MAX_NAME }).describe(
		"Where it happened, any spelling; by default the first production environment",
	),
	title: requiredText({ max: MAX_TITLE }),
	link,
	deploy_id: optionalText({ max: MAX_ID }).describe("The deploy that caused it, when known: one of the service's"),
};

/** Opening an incident: the API's body and the UI's form alike. */
export const incidentInput = object({
	...about,
	started_at: time,
	resolved_at: optional(time).describe("For an incident already over; resolve an open one later"),
});

/** Resolving: when it ended, by default now. */
export const resolveInput = z.preprocess((v) => v ?? {}, object({ resolved_at: optional(time) }));

const noService = (value: string) => ApiError.of(404, "Service Error", `no service with id or alias '${value}'`);

const noIncident = (id: string) => ApiError.of(404, "Incident Error", `no incident with id '${id}'`);

/** Refuses a time after `now` (beyond the skew allowed): nothing has happened yet in the future. */
function checkNotFuture(field: string, at: number, now: number): void {
	if (at > now + CLOCK_SKEW_MS) throw ApiError.invalid([{ message: "param must not be in the future", path: [field] }]);
}

/** Refuses an end before the start. */
function checkOrder(startedAt: number, resolvedAt: number): void {
	if (resolvedAt < startedAt) {
		const message = `param must not be earlier than started_at (${formatDatetime(startedAt)})`;
		throw ApiError.invalid([{ message, path: ["resolved_at"] }]);
	}
}

/**
 * The incident `input` describes, checked against the catalog: the service
 * exists (by id or alias), the deploy named is one of its own, the times are
 * in order and not in the future. `production` names the default environment.
 */
export async function checkedIncident(
	db: Database,
	input: z.output<typeof incidentInput>,
	production: readonly string[],
	now: number,
): Promise<NewIncident> {
	checkNotFuture("started_at", input.started_at, now);
	if (input.resolved_at !== undefined) {
		checkNotFuture("resolved_at", input.resolved_at, now);
		checkOrder(input.started_at, input.resolved_at);
	}
	const [serviceId, deployOf] = await Promise.all([
		serviceIdFor(db, input.service),
		input.deploy_id === undefined ? undefined : deployServiceId(db, input.deploy_id),
	]);
	if (serviceId === null) throw noService(input.service);
	if (input.deploy_id !== undefined && deployOf !== serviceId) {
		throw ApiError.invalid([{ message: "param must name a deploy of the service", path: ["deploy_id"] }]);
	}
	const environment = input.environment ?? production[0] ?? "production";
	return {
		serviceId,
		environment,
		environmentKey: environmentKey(environment),
		title: input.title,
		startedAt: input.started_at,
		resolvedAt: input.resolved_at,
		link: input.link,
		deployId: input.deploy_id,
	};
}

/** Opens an incident (through the API or the UI), with its audit row in the same batch. */
export async function openIncident(db: Database, incident: NewIncident, actor: Actor, now = Date.now()) {
	const { id, statement } = insertIncident(db, incident, now);
	const details = { service_id: incident.serviceId, title: incident.title, deploy_id: incident.deployId ?? null };
	await db.batch([statement, audited(db, actor, "incident.open", { type: "incident", id }, details)]);
	return loadIncident(db, id);
}

export async function loadIncident(db: Database, id: string): Promise<Incident> {
	const incident = await findIncident(db, id);
	if (!incident) throw noIncident(id);
	return incident;
}

/** Refuses resolving what is already resolved: a second resolve would move its end. */
const alreadyResolved = (incident: Incident) =>
	ApiError.of(
		409,
		"Incident Error",
		`incident '${incident.id}' was already resolved at ${formatDatetime(incident.resolvedAt ?? 0)}`,
	);

/** Resolves an open incident at `at` (by default now), with its audit row in the same batch. */
export async function resolveIncident(
	db: Database,
	id: string,
	at: number | undefined,
	actor: Actor,
	now = Date.now(),
): Promise<Incident> {
	const incident = await loadIncident(db, id);
	if (incident.resolvedAt !== null) throw alreadyResolved(incident);
	const resolvedAt = at ?? now;
	checkNotFuture("resolved_at", resolvedAt, now);
	checkOrder(incident.startedAt, resolvedAt);
	const [resolved] = await db.batch([
		resolveStatement(db, id, resolvedAt),
		audited(db, actor, "incident.resolve", { type: "incident", id }, { resolved_at: formatDatetime(resolvedAt) }),
	]);
	// Resolved by someone else between the read and the write: the update changed nothing, so say so.
	if (resolved.meta.changes === 0) throw alreadyResolved(await loadIncident(db, id));
	return loadIncident(db, id);
}

/** The most incidents one listing shows. */
export const MAX_LISTED = 100;
const DEFAULT_LISTED = 50;

/** Incidents newest first, a service's (by id or alias) when one is named: a 404 for one that does not exist. */
export async function listIncidents(db: Database, service: string | undefined, limit = DEFAULT_LISTED) {
	if (service === undefined) return findIncidents(db, { limit });
	const serviceId = await serviceIdFor(db, service);
	if (serviceId === null) throw noService(service);
	return findIncidents(db, { serviceId, limit });
}

// The incident webhook: alerting tools send `trigger` and `resolve` events
// under their own dedup key (`id`), to an integration's secret incident URL.

const eventId = requiredText({ max: MAX_NAME }).describe(
	"The alerting tool's dedup key: one incident per key at a time",
);

/** A trigger: opens the incident, unless one with this key is open (or this very one was seen). */
export const triggerEvent = object({
	action: z.literal("trigger"),
	id: eventId,
	...about,
	started_at: optional(time).describe("When it began; by default when the event arrives"),
});

/** A resolve: ends the latest incident opened under this key. */
export const resolveEvent = object({
	action: z.literal("resolve"),
	id: eventId,
	resolved_at: optional(time).describe("When it ended; by default when the event arrives"),
});

const ACTIONS = ["trigger", "resolve"] as const;
const eventAction = object({ action: oneOf(ACTIONS) });

/** The event a body holds: its action first, so a wrong one is named before the fields it would need. */
export function parseEvent(body: unknown) {
	const { action } = validate(eventAction, body);
	return action === "trigger" ? validate(triggerEvent, body) : validate(resolveEvent, body);
}

/** What an event did: `created`/`resolved`, or `duplicate` for one already applied (nothing stored). */
export type EventResult = { result: "created" | "resolved" | "duplicate"; incident: Incident };

/**
 * Applies a trigger from integration `integrationId`. A repeated trigger (the
 * key's incident is open, or started at this very time) is a duplicate. One
 * that began no later than the key's last incident was resolved is a stale or
 * replayed one: refused, since it would reopen what is over.
 */
export async function applyTrigger(
	db: Database,
	integrationId: string,
	event: z.output<typeof triggerEvent>,
	production: readonly string[],
	now: number,
): Promise<EventResult> {
	const startedAt = event.started_at ?? now;
	const [incident, latest] = await Promise.all([
		checkedIncident(db, { ...event, started_at: startedAt, resolved_at: undefined }, production, now),
		externalIncident(db, integrationId, event.id),
	]);
	if (latest && (latest.resolvedAt === null || latest.startedAt === startedAt)) {
		return { result: "duplicate", incident: await loadIncident(db, latest.id) };
	}
	if (latest?.resolvedAt != null && startedAt <= latest.resolvedAt) {
		throw ApiError.of(
			409,
			"Started at Error",
			`param must be later than ${formatDatetime(latest.resolvedAt)}, when incident '${latest.id}' under this id was resolved; a late or replayed trigger reopens nothing: started_at`,
		);
	}
	const { id, statement } = insertIncident(db, { ...incident, integrationId, externalId: event.id }, now);
	try {
		await statement;
	} catch (error) {
		// The same trigger, delivered twice at once: the unique index kept one.
		if (!isUniqueViolation(error)) throw error;
		const same = await externalIncident(db, integrationId, event.id);
		if (same) return { result: "duplicate", incident: await loadIncident(db, same.id) };
		throw error;
	}
	return { result: "created", incident: await loadIncident(db, id) };
}

/**
 * Applies a resolve: ends the key's latest incident. A repeat with the same
 * time is a duplicate; another time for one already resolved is refused, as
 * is a key never triggered (404).
 */
export async function applyResolve(
	db: Database,
	integrationId: string,
	event: z.output<typeof resolveEvent>,
	now: number,
): Promise<EventResult> {
	const resolvedAt = event.resolved_at ?? now;
	checkNotFuture("resolved_at", resolvedAt, now);
	const latest = await externalIncident(db, integrationId, event.id);
	if (!latest) throw ApiError.of(404, "Id Error", `no incident was triggered under this id: id`);
	const incident = await loadIncident(db, latest.id);
	if (incident.resolvedAt === resolvedAt) return { result: "duplicate", incident };
	if (incident.resolvedAt !== null) throw alreadyResolved(incident);
	checkOrder(incident.startedAt, resolvedAt);
	const result = await resolveStatement(db, incident.id, resolvedAt);
	if (result.meta.changes === 0) throw alreadyResolved(await loadIncident(db, incident.id));
	return { result: "resolved", incident: await loadIncident(db, incident.id) };
}

/**
 * The incidents blaming each deploy of a page (maybe one service's), for the
 * timelines' markers, with the attribution window in hours.
 */
export async function blamesOnPage(
	db: Database,
	page: readonly ListedDeploy[],
	windowHours: number,
	serviceId?: string,
): Promise<Map<string, Blame[]>> {
	if (page.length === 0) return new Map();
	const times = page.map(({ deploy }) => deploy.deployedAt);
	const range = { oldest: Math.min(...times), newest: Math.max(...times) };
	const ids = page.map(({ deploy }) => deploy.id);
	return blamesOf(db, ids, range, windowHours * HOUR, serviceId);
}
