import { Hono } from "hono";
import { auditPage } from "../../audit/log";
import type { AuditEventRow } from "../../db/schema";
import type { AppEnv } from "../../env";
import { object, optionalText, validate } from "../../http/validation";
import { Empty, Pager, Table, Time } from "../components";
import { renderError } from "../errors";
import { Page } from "../layout";
import { signedIn } from "../security";

const PAGE_SIZE = 50;

const query = object({ action: optionalText({ max: 64 }), cursor: optionalText({ max: 512 }) });

/** Where a target lives in the UI; suggestions have no page of their own once acted on. */
const targetHref = (e: AuditEventRow) =>
	e.targetType === "integration"
		? `/integrations/${e.targetId}`
		: e.targetType === "service"
			? `/services/${e.targetId}`
			: undefined;

function EventRow({ event: e }: { event: AuditEventRow }) {
	const href = targetHref(e);
	return (
		<tr>
			<td>
				<Time ms={e.at} />
			</td>
			<td class="mono">{e.action}</td>
			<td>
				{e.targetType} {href ? <a href={href}>{e.targetId.slice(0, 8)}…</a> : <span class="mono">{e.targetId}</span>}
			</td>
			<td class="mono hide-narrow">{e.details ?? ""}</td>
			<td>
				{e.via === "ui" ? "web UI" : "API"}
				{e.credential === "previous" && <span class="muted"> (previous token)</span>}
				{e.ip && <span class="muted hide-narrow"> from {e.ip}</span>}
			</td>
		</tr>
	);
}

/** The audit log, newest first: what the API's GET /api/audit lists, for people. */
export const auditPages = new Hono<AppEnv>().use(...signedIn).get("/", async (c) => {
	const q = validate(query, c.req.query());
	const { events, nextCursor } = await auditPage(c.var.db, { action: q.action, cursor: q.cursor, limit: PAGE_SIZE });
	const link = (cursor?: string) =>
		`/audit?${new URLSearchParams({ ...(q.action && { action: q.action }), ...(cursor && { cursor }) })}`;
	return c.html(
		<Page title="Audit log" section="audit">
			<h1>Audit log</h1>
			<p class="muted">Every change made through the API or this UI: what, to what, when, and by which admin token.</p>
			{events.length === 0 ? (
				<Empty title={q.action ? "No such changes" : "No changes yet"}>
					<p>Creating an integration or a service, or acting on a suggestion, is recorded here.</p>
				</Empty>
			) : (
				<Table head={["When", "Action", "Target", <span class="hide-narrow">Details</span>, "By"]}>
					{events.map((event) => (
						<EventRow event={event} />
					))}
				</Table>
			)}
			<Pager first={q.cursor ? link() : undefined} next={nextCursor ? link(nextCursor) : undefined} />
		</Page>,
	);
});

auditPages.onError(renderError);
