import { allow } from "../../../access/guard";
import { findServices } from "../../../db/catalog";
import { findSubscriptions, recentDeliveries } from "../../../db/notifications";
import { DESTINATION_KINDS, type SubscriptionRow } from "../../../db/notifications-schema";
import { findTeams } from "../../../db/teams";
import { type AppContext, factory } from "../../../factory";
import type { ApiError } from "../../../http/errors";
import { MAX_NAME, validate } from "../../../http/validation";
import { NOTIFICATION_EVENTS } from "../../../model/notification";
import { presentDelivery, presentSubscription } from "../../../notifications/present";
import {
	createSubscription,
	DELIVERY_LOG_SIZE,
	deleteSubscription,
	hereOf,
	loadSubscription,
	redeliver,
	rotateSecret,
	subscriptionInput,
} from "../../../notifications/subscriptions";
import { ActionButton, CopyField, Empty, FormErrors, NamedSelect, Table, Time } from "../../components";
import { attempt, doneNotice, readForm } from "../../forms";
import { Page } from "../../layout";
import { signedIn } from "../../security";
import { may } from "../../viewer";

const NOTICES = { redelivered: "The delivery was queued again, under the same webhook-id." } as const;
const LIST_NOTICES = { deleted: "The subscription was deleted, with its delivery log." } as const;

const KIND_LABELS: Record<(typeof DESTINATION_KINDS)[number], string> = {
	webhook: "HTTPS endpoint (signed JSON)",
	slack: "Slack incoming webhook",
};

const path = (id: string) => `/notifications/${id}`;

/** What a subscription listens to, in words. */
function filters(row: SubscriptionRow, names: Map<string, string>): string {
	const parts = [
		row.serviceId && `service ${names.get(row.serviceId) ?? row.serviceId}`,
		row.teamId && `team ${names.get(row.teamId) ?? row.teamId}`,
		row.environment && `environment ${row.environment}`,
	].filter(Boolean);
	return parts.length > 0 ? parts.join(", ") : "every deploy";
}

/** Services' and teams' names by id, for the filters and the form's choices. */
async function choices(c: AppContext) {
	const [services, teams] = await Promise.all([findServices(c.var.db), findTeams(c.var.db)]);
	const names = new Map([...services, ...teams].map((x) => [x.id, x.name]));
	return { services, teams, names };
}

/** What was typed into the form, shown again beside why it was refused. */
type Typed = Partial<Record<"name" | "kind" | "url" | "service_id" | "team_id" | "environment", string>> & {
	events?: string[];
};

async function renderList(c: AppContext, refused?: { typed: Typed; error: ApiError }) {
	const [rows, { services, teams, names }] = await Promise.all([findSubscriptions(c.var.db), choices(c)]);
	const typed = refused?.typed;
	const chosen = new Set(typed?.events ?? NOTIFICATION_EVENTS);
	const page = (
		<Page title="Notifications" section="notifications" notice={doneNotice(c, LIST_NOTICES)}>
			<h1>Notifications</h1>
			{rows.length === 0 ? (
				<Empty title="No subscriptions yet">
					<p>A subscription tells Slack or any HTTPS endpoint about deploys as they are recorded.</p>
				</Empty>
			) : (
				<Table head={["Subscription", "Destination", "For", "Events"]}>
					{rows.map((row) => (
						<tr>
							<td>
								<a href={path(row.id)}>{row.name}</a>
							</td>
							<td>{presentSubscription(row).destination}</td>
							<td>{filters(row, names)}</td>
							<td>{presentSubscription(row).events.join(", ")}</td>
						</tr>
					))}
				</Table>
			)}
			{may("editor") && (
				<>
					<h2>New subscription</h2>
					<FormErrors errors={refused?.error.errors} />
					<form method="post" action="/notifications" class="stack panel">
						<label>
							Name
							<input name="name" value={typed?.name ?? ""} required maxlength={MAX_NAME} />
						</label>
						<label>
							Destination
							<select name="kind">
								{DESTINATION_KINDS.map((kind) => (
									<option value={kind} selected={typed?.kind === kind}>
										{KIND_LABELS[kind]}
									</option>
								))}
							</select>
						</label>
						<label>
							URL
							<small>https: only. A Slack URL starts https://hooks.slack.com/services/.</small>
							<input name="url" type="url" value={typed?.url ?? ""} required />
						</label>
						<label>
							Service
							<NamedSelect name="service_id" none="Any service" choices={services} selected={typed?.service_id} />
						</label>
						<label>
							Or team
							<NamedSelect name="team_id" none="Any team" choices={teams} selected={typed?.team_id} />
						</label>
						<label>
							Environment
							<small>Optional; any environment when empty.</small>
							<input name="environment" value={typed?.environment ?? ""} maxlength={MAX_NAME} />
						</label>
						<fieldset>
							<legend>Events</legend>
							{NOTIFICATION_EVENTS.map((event) => (
								<label class="check">
									<input type="checkbox" name="events" value={event} checked={chosen.has(event)} /> {event}
								</label>
							))}
						</fieldset>
						<div>
							<button type="submit">Create subscription</button>
						</div>
					</form>
				</>
			)}
		</Page>
	);
	return c.html(page, refused?.error.status ?? 200);
}

/** A secret just made or rotated: on this one response and nowhere else. */
function NewSecret({ secret }: { secret: string }) {
	return (
		<div class="panel" role="status">
			<h2>Signing secret</h2>
			<p>
				<strong>Copy it now: it won't be shown again.</strong> Verify each delivery's <code>webhook-signature</code>{" "}
				with it (see the README's "Notifications").
			</p>
			<CopyField id="subscription-secret" label="Secret" value={secret} />
		</div>
	);
}

async function renderShow(c: AppContext, id: string, secret?: string | null, status: 200 | 201 = 200) {
	const [row, { names }] = await Promise.all([loadSubscription(c.var.db, id), choices(c)]);
	const shown = presentSubscription(row);
	const deliveries = (await recentDeliveries(c.var.db, row.id, DELIVERY_LOG_SIZE)).map(presentDelivery);
	const page = (
		<Page title={row.name} section="notifications" notice={doneNotice(c, NOTICES)}>
			<div class="heading">
				<h1>{row.name}</h1>
				<span class="muted">
					{KIND_LABELS[row.kind]} · {filters(row, names)}
				</span>
				{may("editor") && (
					<div class="actions">
						{row.kind === "webhook" && (
							<ActionButton action={`${path(row.id)}/secret`} label="Rotate secret" variant="secondary" />
						)}
						<ActionButton action={`${path(row.id)}/delete`} label="Delete subscription" variant="danger" />
					</div>
				)}
			</div>
			{secret && <NewSecret secret={secret} />}
			<p>
				Sends <strong>{shown.events.join(", ")}</strong> to <code>{shown.destination}</code>.
				{shown.previous_secret_expires_at && (
					<>
						{" "}
						The previous secret still signs too until <Time ms={Date.parse(shown.previous_secret_expires_at)} />.
					</>
				)}
			</p>
			<h2>Delivery log</h2>
			{deliveries.length === 0 ? (
				<p class="muted">Nothing sent yet.</p>
			) : (
				<Table head={["When", "Event", "Deploy", "State", "Attempts", "Last error", ""]}>
					{deliveries.map((d) => (
						<tr>
							<td>
								<Time ms={Date.parse(d.created_at)} />
							</td>
							<td>{d.event}</td>
							<td>
								<a href={`/deploys/${d.deploy_id}`}>Deploy</a>
							</td>
							<td>{d.state}</td>
							<td>{d.attempts}</td>
							<td>{d.last_error ?? <span class="muted">—</span>}</td>
							<td>
								{may("editor") && (
									<ActionButton
										action={`${path(row.id)}/deliveries/${d.id}/redeliver`}
										label="Redeliver"
										variant="secondary"
									/>
								)}
							</td>
						</tr>
					))}
				</Table>
			)}
		</Page>
	);
	return c.html(page, status);
}

/** Subscriptions: everyone signed in reads them and their delivery logs; editors change them. */
export const notificationsPages = factory
	.createApp()
	.use(...signedIn)
	.get("/", allow("viewer"), (c) => renderList(c))
	.post("/", allow("editor"), async (c) => {
		const form = await readForm(c);
		const events = (await c.req.parseBody({ all: true })).events;
		const typed = { ...form, events: [events ?? []].flat().filter((e) => typeof e === "string") };
		const made = await attempt(() =>
			createSubscription(c.var.db, validate(subscriptionInput, typed), hereOf(c.req.url, c.env), c.var.actor),
		);
		// Rendered here, not redirected to: the secret must not travel in a URL or a cookie.
		if (made.ok) return renderShow(c, made.value.id, made.value.secret, 201);
		return renderList(c, { typed, error: made.error });
	})
	.get("/:id", allow("viewer"), (c) => renderShow(c, c.req.param("id")))
	.post("/:id/secret", allow("editor"), async (c) => {
		const row = await rotateSecret(c.var.db, c.req.param("id"), c.var.actor);
		return renderShow(c, row.id, row.secret);
	})
	.post("/:id/delete", allow("editor"), async (c) => {
		await deleteSubscription(c.var.db, c.req.param("id"), c.var.actor);
		return c.redirect("/notifications?done=deleted", 303);
	})
	.post("/:id/deliveries/:delivery/redeliver", allow("editor"), async (c) => {
		const { id, delivery } = c.req.param();
		await redeliver(c.var.db, c.env.NOTIFICATIONS, id, delivery, c.var.actor);
		return c.redirect(`${path(id)}?done=redelivered`, 303);
	});
