import { type Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { z } from "zod";
import {
	createIntegration,
	DEFAULT_GRACE_SECONDS,
	loadIntegration,
	MAX_GRACE_SECONDS,
	revokeIntegration,
	rotateWebhookToken,
	webhookUrl,
} from "../../catalog/integrations";
import { listDeploys } from "../../db/deploys";
import { ACTIVITY_WINDOWS, liveIntegrationsWithActivity, previousWebhookTokens } from "../../db/integrations";
import { INTEGRATION_KINDS, type IntegrationKind, type IntegrationRow } from "../../db/schema";
import type { AppEnv } from "../../env";
import { DAY, HOUR } from "../../http/datetime";
import { ApiError, type ErrorObject } from "../../http/errors";
import { MAX_NAME, object, requiredText, validate } from "../../http/validation";
import { KINDS, type Secret, snippet, trialReport } from "../../pipelines/snippets";
import { type DryRunAnswer, dryRun } from "../../webhook/dry-run";
import { parseDeployPayload } from "../../webhook/payload";
import { ActionButton, CopyBlock, CopyField, Empty, FormErrors, Table, Time } from "../components";
import { DeployTable } from "../deploy-table";
import { attempt, readForm } from "../forms";
import { Page } from "../layout";
import { signedIn } from "../security";

const LATEST = 10;

/** Grace periods offered when rotating a URL, in seconds. */
const GRACE: [number, string][] = [
	[0, "None: retire it now"],
	[HOUR / 1000, "1 hour"],
	[DAY / 1000, "1 day"],
	[(7 * DAY) / 1000, "7 days"],
	[MAX_GRACE_SECONDS, "30 days"],
];
const GRACE_CHOICES = GRACE.map(([seconds]) => String(seconds)) as [string, ...string[]];

const newIntegration = object({
	name: requiredText({ max: MAX_NAME }),
	kind: z.enum(INTEGRATION_KINDS, { error: "param must be one of the tiles" }),
});

const rotation = object({
	grace_seconds: z.enum(GRACE_CHOICES, { error: "param must be one of the offered periods" }).transform(Number),
});

const isKind = (value: string): value is IntegrationKind => (INTEGRATION_KINDS as readonly string[]).includes(value);

function Tiles() {
	return (
		<Page title="New integration" section="integrations">
			<h1>New integration</h1>
			<p class="muted">Where do your deploys run? Each integration gets its own secret URL to post deploys to.</p>
			<div class="tiles">
				{INTEGRATION_KINDS.map((kind) => (
					<a class="tile" href={`/integrations/new/${kind}`}>
						<strong>{KINDS[kind].label}</strong>
						<span>{KINDS[kind].blurb}</span>
					</a>
				))}
			</div>
		</Page>
	);
}

function NewForm({ kind, name, errors }: { kind: IntegrationKind; name: string; errors?: readonly ErrorObject[] }) {
	return (
		<Page title={`New ${KINDS[kind].label} integration`} section="integrations">
			<h1>New {KINDS[kind].label} integration</h1>
			<FormErrors errors={errors} />
			<form method="post" action="/integrations" class="stack panel">
				<input type="hidden" name="kind" value={kind} />
				<label>
					Name
					<small>Shown in lists; the URL stays secret.</small>
					<input name="name" value={name} required maxlength={MAX_NAME} />
				</label>
				<div>
					<button type="submit">Create a Deploy Endpoint</button> <a href="/integrations/new">Cancel</a>
				</div>
			</form>
		</Page>
	);
}

type Previous = { token: string; expiresAt: number }[];

/** The alias a test deploy names when the integration has had no deploy to take one from. */
const SAMPLE_SERVICE = "my-service";

/** The deploy "Send a test deploy" checks: the least a pipeline must send, for `service`, now. */
const sampleDeploy = (service: string) => ({
	service,
	description: "Test deploy from the integration's page",
	deployed_at: new Date().toISOString(),
	deployer: { name: "Deploy tracker" },
});

/** A test deploy's service name and what the webhook answered it, or why it refused it. */
type TestDeploy = { service: string; answer?: Awaited<ReturnType<typeof attempt<DryRunAnswer>>> };

/** What the answer means, in words; the JSON below it is what a pipeline would get. */
function answerText(answer: DryRunAnswer, service: string): string {
	switch (answer.result) {
		case "ok":
			return `The URL is live: a deploy of ${service} would be recorded for the service ${answer.service?.name}.`;
		case "no_service_found":
			return `The URL is live, but no service has the alias ${service} yet: a deploy would be recorded and ${service} suggested as a service.`;
		case "duplicate_deploy":
			return "The URL is live, but this deploy was reported before: it would not be recorded again.";
	}
}

function TestDeployForm({ id, test }: { id: string; test: TestDeploy }) {
	return (
		<section id="test-deploy">
			<h2>Send a test deploy</h2>
			<form method="post" action={`/integrations/${id}/test#test-deploy`} class="panel stack">
				<p class="muted">
					Checks this integration's URL with a sample deploy, as your pipeline would send it, and shows the answer.
					Nothing is recorded and no deploy number is used.
				</p>
				<label>
					Service
					<input name="service" value={test.service} required maxlength={MAX_NAME} />
				</label>
				<div>
					<button type="submit">Send a test deploy</button>
				</div>
			</form>
			{test.answer?.ok ? (
				<div class="panel test-answer" role="status">
					<p>{answerText(test.answer.value, test.service)} Nothing was recorded.</p>
					<pre>{`200 ${JSON.stringify(test.answer.value, null, 2)}`}</pre>
				</div>
			) : (
				<FormErrors errors={test.answer?.error.errors} />
			)}
		</section>
	);
}

/** The URL is a credential: the page says where to keep it, and no snippet holds it. */
const storeInstruction = ({ store, name, where }: Secret) =>
	`Store this URL as ${store} ${name}${where ? ` (${where})` : ""}`;

function Show({
	integration,
	origin,
	deploys,
	previous,
	test,
	notice,
}: {
	integration: IntegrationRow;
	origin: string;
	deploys: Awaited<ReturnType<typeof listDeploys>>;
	previous: Previous;
	test: TestDeploy;
	notice?: string;
}) {
	const url = webhookUrl(origin, integration.webhookToken);
	const kind = KINDS[integration.kind];
	const latest =
		deploys.length === 0 ? null : (
			<>
				<h2>Latest deploys</h2>
				<DeployTable deploys={deploys} />
				<p>
					<a href={`/deploys?integration=${integration.id}`}>All deploys from this integration »</a>
				</p>
			</>
		);
	return (
		<Page title={integration.name} section="integrations" notice={notice}>
			<div class="heading">
				<h1>{integration.name}</h1>
				<span class="muted">
					{kind.label} · created <Time ms={integration.createdAt} />
				</span>
				<div class="actions">
					<a class="button secondary" href={`/integrations/${integration.id}/rotate`}>
						Rotate URL…
					</a>
					<a class="button secondary" href={`/integrations/${integration.id}/revoke`}>
						Revoke…
					</a>
				</div>
			</div>
			{latest}
			{/* Once deploys arrive they lead, and the setup, done by then, folds away below them. */}
			<details class="setup" open={latest === null}>
				<summary>
					<h2>Report deploys from {kind.label}</h2>
				</summary>
				<div class="panel">
					<CopyField
						id="webhook-url"
						label={`${storeInstruction(kind.secret)}. Keep it out of your repository: anyone holding it can report deploys.`}
						value={url}
					/>
					{previous.map((p) => (
						<p class="muted">
							The previous URL, ending <code>…{p.token.slice(-6)}</code>, is still accepted until{" "}
							<Time ms={p.expiresAt} relative={false} />.
						</p>
					))}
				</div>
				<p class="muted">{kind.blurb}. Replace the service name and environment with your own.</p>
				<CopyBlock id="snippet" code={snippet(integration.kind, origin)} />
			</details>
			<TestDeployForm id={integration.id} test={test} />
			{latest === null && (
				<>
					<h2>Latest deploys</h2>
					<Empty title="No deploys yet">
						<p>
							Try it now from a terminal, with the URL above in <code>DEPLOY_WEBHOOK_URL</code>:
						</p>
						<pre>{trialReport(origin)}</pre>
					</Empty>
				</>
			)}
		</Page>
	);
}

/** An integration's page, with the test deploy as given (just its default service name on a plain visit). */
async function showIntegration(
	c: Context<AppEnv>,
	integration: IntegrationRow,
	test?: Required<TestDeploy>,
	status: ContentfulStatusCode = 200,
) {
	const [deploys, previous] = await Promise.all([
		listDeploys(c.var.db, { integrationId: integration.id, limit: LATEST }),
		previousWebhookTokens(c.var.db, integration.id),
	]);
	const notice =
		c.req.query("rotated") !== undefined ? "The integration has a new URL: update your pipelines." : undefined;
	return c.html(
		<Show
			integration={integration}
			origin={new URL(c.req.url).origin}
			deploys={deploys}
			previous={previous}
			test={test ?? { service: deploys[0]?.deploy.serviceAlias ?? SAMPLE_SERVICE }}
			notice={notice}
		/>,
		status,
	);
}

/** Whether an endpoint that has received deploys has received none for a whole week: the list marks it. */
const silent = (lastReceivedAt: number | null, now: number) =>
	lastReceivedAt !== null && lastReceivedAt < now - ACTIVITY_WINDOWS.week;

export const integrationPages = new Hono<AppEnv>()
	.use(...signedIn)
	.get("/", async (c) => {
		const now = Date.now();
		const rows = await liveIntegrationsWithActivity(c.var.db, now);
		const notice =
			c.req.query("revoked") !== undefined
				? "The integration was revoked: its URL answers 404 from now on."
				: undefined;
		return c.html(
			<Page title="Integrations" section="integrations" notice={notice}>
				<div class="heading">
					<h1>Integrations</h1>
					<div class="actions">
						<a class="button" href="/integrations/new">
							New integration
						</a>
					</div>
				</div>
				{rows.length === 0 ? (
					<Empty title="No integrations yet">
						<p>An integration gives your pipeline a secret URL to report deploys to.</p>
						<a class="button" href="/integrations/new">
							New integration
						</a>
					</Empty>
				) : (
					<>
						<p class="muted">
							When each endpoint last received a deploy, and how many deploys it has from the last 24 hours and 7 days:
							an endpoint that went silent stands out.
						</p>
						<Table
							head={[
								"Name",
								<span class="hide-narrow">Tool</span>,
								"Last received",
								"24\u00a0h",
								"7\u00a0days",
								<span class="hide-narrow">Created</span>,
							]}
						>
							{rows.map((row) => (
								<tr>
									<td>
										<a href={`/integrations/${row.id}`}>{row.name}</a>
									</td>
									<td>
										<span class="hide-narrow">{KINDS[row.kind].label}</span>
									</td>
									<td>
										{row.lastReceivedAt === null ? (
											<span class="badge silent">never</span>
										) : (
											<Time ms={row.lastReceivedAt} />
										)}
										{silent(row.lastReceivedAt, now) && (
											<>
												{" "}
												<span class="badge silent" title="No deploy received in the last 7 days">
													silent
												</span>
											</>
										)}
									</td>
									<td>{row.lastDay}</td>
									<td>{row.lastWeek}</td>
									<td>
										<span class="hide-narrow">
											<Time ms={row.createdAt} />
										</span>
									</td>
								</tr>
							))}
						</Table>
					</>
				)}
			</Page>,
		);
	})
	.get("/new", (c) => c.html(<Tiles />))
	.get("/new/:kind", (c) => {
		const kind = c.req.param("kind");
		if (!isKind(kind)) throw ApiError.of(404, "Integration Error", `there is no tile '${kind}'`);
		return c.html(<NewForm kind={kind} name={KINDS[kind].label} />);
	})
	.post("/", async (c) => {
		const form = await readForm(c);
		const created = await attempt(() => createIntegration(c.var.db, validate(newIntegration, form), c.var.actor));
		if (created.ok) return c.redirect(`/integrations/${created.value.id}`, 303);
		const kind = isKind(form.kind ?? "") ? (form.kind as IntegrationKind) : "deploy";
		return c.html(<NewForm kind={kind} name={form.name ?? ""} errors={created.error.errors} />, created.error.status);
	})
	.get("/:id", async (c) => showIntegration(c, await loadIntegration(c.var.db, c.req.param("id"))))
	// A dry run through the webhook's own checks, for this integration's current URL: nothing is recorded.
	.post("/:id/test", async (c) => {
		const integration = await loadIntegration(c.var.db, c.req.param("id"));
		const service = (await readForm(c)).service ?? "";
		const answer = await attempt(() =>
			dryRun(
				c,
				{ integrationId: integration.id, agent: null, payload: parseDeployPayload(sampleDeploy(service)) },
				integration.webhookToken,
			),
		);
		return showIntegration(c, integration, { service, answer }, answer.ok ? 200 : answer.error.status);
	})
	.get("/:id/rotate", async (c) => {
		const integration = await loadIntegration(c.var.db, c.req.param("id"));
		return c.html(
			<Page title={`Rotate ${integration.name}`} section="integrations">
				<h1>Give {integration.name} a new URL?</h1>
				<form method="post" action={`/integrations/${integration.id}/rotate`} class="stack panel">
					<p>
						Do this when the URL may have leaked. Pipelines must then post to the new URL; for the grace period you
						choose the old one keeps working, so no deploy is lost while you update them.
					</p>
					<label>
						Keep the old URL working for
						<select name="grace_seconds">
							{GRACE.map(([seconds, label]) => (
								<option value={String(seconds)} selected={seconds === DEFAULT_GRACE_SECONDS}>
									{label}
								</option>
							))}
						</select>
					</label>
					<div>
						<button type="submit">Rotate URL</button> <a href={`/integrations/${integration.id}`}>Cancel</a>
					</div>
				</form>
			</Page>,
		);
	})
	.post("/:id/rotate", async (c) => {
		const id = c.req.param("id");
		const { grace_seconds } = validate(rotation, await readForm(c));
		await rotateWebhookToken(
			c.var.db,
			{ ledgers: c.env.LEDGER, meter: c.var.meter },
			id,
			grace_seconds * 1000,
			c.var.actor,
		);
		return c.redirect(`/integrations/${id}?rotated`, 303);
	})
	.get("/:id/revoke", async (c) => {
		const integration = await loadIntegration(c.var.db, c.req.param("id"));
		return c.html(
			<Page title={`Revoke ${integration.name}`} section="integrations">
				<h1>Revoke {integration.name}?</h1>
				<div class="panel">
					<p>
						Pipelines posting to its URL will get <code>404</code> from now on. Deploys it already reported stay. This
						cannot be undone: to report again, create a new integration.
					</p>
					<p>
						<ActionButton
							action={`/integrations/${integration.id}/revoke`}
							label="Revoke integration"
							variant="danger"
						/>{" "}
						<a href={`/integrations/${integration.id}`}>Cancel</a>
					</p>
				</div>
			</Page>,
		);
	})
	.post("/:id/revoke", async (c) => {
		const ledgers = { ledgers: c.env.LEDGER, meter: c.var.meter };
		await revokeIntegration(c.var.db, ledgers, c.req.param("id"), c.var.actor);
		return c.redirect("/integrations?revoked", 303);
	});
