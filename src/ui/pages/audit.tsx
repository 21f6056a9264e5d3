import type { Child } from "hono/jsx";
import { allow } from "../../access/guard";
import { type AuditTarget, auditPage, parsedDetails } from "../../audit/log";
import { serviceNames } from "../../db/catalog";
import type { Database } from "../../db/client";
import { integrationNames } from "../../db/integrations";
import { type AuditEventRow, INTEGRATION_KINDS, type IntegrationKind } from "../../db/schema";
import { suggestionNames } from "../../db/suggestions";
import { teamNames } from "../../db/teams";
import { factory } from "../../factory";
import { object, optionalText, validate } from "../../http/validation";
import { KINDS } from "../../pipelines/snippets";
import { Empty, IntegrationName, Pager, Table, Time } from "../components";
import { Page } from "../layout";
import { signedIn } from "../security";

const PAGE_SIZE = 50;

const query = object({ action: optionalText({ max: 64 }), cursor: optionalText({ max: 512 }) });

/** The service an event's details name: attach records which service took the alias. */
const detailServiceId = (details: Record<string, unknown> | null) =>
	typeof details?.service_id === "string" ? details.service_id : undefined;

/**
 * What a page of events' targets are called now, in one D1 batch: integrations
 * (revoked ones too), services (targeted, or named in the details), teams, and
 * suggestions with their alias and the service that took it.
 */
async function targetNames(db: Database, events: AuditEventRow[]) {
	const idsOf = (type: AuditTarget["type"]) => events.filter((e) => e.targetType === type).map((e) => e.targetId);
	const serviceIds = [...idsOf("service"), ...events.flatMap((e) => detailServiceId(parsedDetails(e)) ?? [])];
	const [integrationRows, serviceRows, teamRows, suggestionRows] = await db.batch([
		integrationNames(db, idsOf("integration")),
		serviceNames(db, serviceIds),
		teamNames(db, idsOf("team")),
		suggestionNames(db, idsOf("suggestion")),
	]);
	return {
		integrations: new Map(integrationRows.map((row) => [row.id, row])),
		services: new Map(serviceRows.map((row) => [row.id, row.name])),
		teams: new Map(teamRows.map((row) => [row.id, row.name])),
		suggestions: new Map(suggestionRows.map((row) => [row.id, row])),
	};
}

type Names = Awaited<ReturnType<typeof targetNames>>;

/** A service by name, linked; one deleted since shows its id. */
function ServiceName({ id, names }: { id: string; names: Names }) {
	const name = names.services.get(id);
	return name === undefined ? <span class="mono">{id}</span> : <a href={`/services/${id}`}>{name}</a>;
}

/** What an event was done to, by the name it has now, linked to where it lives. */
function Target({ event: e, names }: { event: AuditEventRow; names: Names }) {
	if (e.targetType === "integration") {
		return (
			<>
				Integration <IntegrationName integration={names.integrations.get(e.targetId)} id={e.targetId} />
			</>
		);
	}
	if (e.targetType === "service") {
		return (
			<>
				Service <ServiceName id={e.targetId} names={names} />
			</>
		);
	}
	if (e.targetType === "team") {
		const name = names.teams.get(e.targetId);
		// A deleted team by the name its events recorded (creation and deletion carry it).
		const recorded = parsedDetails(e)?.name;
		return (
			<>
				Team{" "}
				{name !== undefined ? (
					<a href={`/teams/${e.targetId}`}>{name}</a>
				) : typeof recorded === "string" ? (
					<strong>{recorded}</strong>
				) : (
					<span class="mono">{e.targetId}</span>
				)}
			</>
		);
	}
	if (e.targetType === "member") return <>Member {e.targetId}</>;
	if (e.targetType === "settings") {
		return (
			<>
				<a href="/settings">Settings</a> <span class="mono">{e.targetId}</span>
			</>
		);
	}
	if (e.targetType === "api-token") {
		// The token's name is in the event's details: tokens are named when made, never renamed.
		const name = parsedDetails(e)?.name;
		return <>API token {typeof name === "string" ? <strong>{name}</strong> : <span class="mono">{e.targetId}</span>}</>;
	}
	const suggestion = names.suggestions.get(e.targetId);
	if (e.targetType !== "suggestion" || suggestion === undefined) {
		return (
			<>
				{e.targetType} <span class="mono">{e.targetId}</span>
			</>
		);
	}
	// A suggestion is an alias: once a service took it, the alias lives there.
	return (
		<>
			Alias <span class="mono">{suggestion.alias}</span>
			{suggestion.serviceId && suggestion.serviceName !== null ? (
				<>
					{" "}
					of <a href={`/services/${suggestion.serviceId}`}>{suggestion.serviceName}</a>
				</>
			) : (
				<>
					{" "}
					(
					<a href={suggestion.state === "ignored" ? "/suggestions?state=ignored" : "/suggestions"}>
						{suggestion.state}
					</a>
					)
				</>
			)}
		</>
	);
}

const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? "" : "s"}`;

/** A grace period in the largest whole unit it fills: "7 days", "1 hour"; zero is "none". */
function period(seconds: number): string {
	const units: [number, string][] = [
		[86_400, "day"],
		[3_600, "hour"],
		[60, "minute"],
	];
	if (seconds === 0) return "none";
	const [size, unit] = units.find(([size]) => seconds % size === 0) ?? [1, "second"];
	return plural(seconds / size, unit);
}

const isKind = (value: unknown): value is IntegrationKind => (INTEGRATION_KINDS as readonly unknown[]).includes(value);

type Field = { label: string; show?: (value: unknown, names: Names) => Child };

/** Each detail an action records, with its label and how its value reads. */
const FIELDS: Record<string, Field> = {
	name: { label: "Name" },
	kind: { label: "Tool", show: (value) => (isKind(value) ? KINDS[value].label : String(value)) },
	aliases: {
		label: "Aliases",
		show: (value) => (Array.isArray(value) && value.length > 0 ? value.join(", ") : "none"),
	},
	alias: { label: "Alias" },
	from: { label: "Old name" },
	to: { label: "New name" },
	service_id: { label: "Service", show: (value, names) => <ServiceName id={String(value)} names={names} /> },
	grace_seconds: {
		label: "Old URL kept for",
		show: (value) => (typeof value === "number" ? period(value) : String(value)),
	},
};

/** An unlisted detail still shows: its key in words, its value as text. */
const fallback = (key: string): Field => ({ label: key.replaceAll("_", " ") });
const asText = (value: unknown) => (typeof value === "string" ? value : JSON.stringify(value));

/** An event's details as labelled fields, e.g. "Old name: Cart · New name: Checkout". */
function Details({ event, names }: { event: AuditEventRow; names: Names }) {
	const details = parsedDetails(event);
	if (details === null) return null;
	return (
		<dl class="audit-details">
			{Object.entries(details).map(([key, value]) => {
				const field = FIELDS[key] ?? fallback(key);
				return (
					<>
						<dt>{field.label}</dt>
						<dd>{field.show ? field.show(value, names) : asText(value)}</dd>
					</>
				);
			})}
		</dl>
	);
}

function EventRow({ event: e, names }: { event: AuditEventRow; names: Names }) {
	return (
		<tr>
			<td>
				<Time ms={e.at} />
			</td>
			<td class="mono">{e.action}</td>
			<td>
				<Target event={e} names={names} />
			</td>
			<td class="hide-narrow">
				<Details event={e} names={names} />
			</td>
			<td>
				{e.actorName ?? "admin token"}
				<span class="muted"> via {e.via === "ui" ? "web UI" : "API"}</span>
				{e.ip && <span class="muted hide-narrow"> from {e.ip}</span>}
			</td>
		</tr>
	);
}

/** The audit log, newest first: what the API's GET /api/audit lists, for people. */
export const auditPages = factory
	.createApp()
	.use(...signedIn)
	.get("/", allow("viewer"), async (c) => {
		const q = validate(query, c.req.query());
		const { events, nextCursor } = await auditPage(c.var.db, { action: q.action, cursor: q.cursor, limit: PAGE_SIZE });
		const names = await targetNames(c.var.db, events);
		const link = (cursor?: string) =>
			`/audit?${new URLSearchParams({ ...(q.action && { action: q.action }), ...(cursor && { cursor }) })}`;
		return c.html(
			<Page title="Audit log" section="audit">
				<h1>Audit log</h1>
				<p class="muted">
					Every change made through the API or this UI: what, to what, when, and by which admin token.
				</p>
				{events.length === 0 ? (
					<Empty title={q.action ? "No such changes" : "No changes yet"}>
						<p>Creating an integration or a service, or acting on a suggestion, is recorded here.</p>
					</Empty>
				) : (
					<Table head={["When", "Action", "Target", <span class="hide-narrow">Details</span>, "By"]}>
						{events.map((event) => (
							<EventRow event={event} names={names} />
						))}
					</Table>
				)}
				<Pager first={q.cursor ? link() : undefined} next={nextCursor ? link(nextCursor) : undefined} />
			</Page>,
		);
	});
