import type { ContentfulStatusCode } from "hono/utils/http-status";
import { allow } from "../../../access/guard";
import { loadIntegration, regenerateSigningSecret, webhookRoute, webhookUrl } from "../../../catalog/integrations";
import { listDeploys } from "../../../db/deploys";
import { previousWebhookTokens } from "../../../db/integrations";
import type { IntegrationRow } from "../../../db/schema";
import { type AppContext, factory } from "../../../factory";
import { atLeast } from "../../../model/roles";
import { KINDS, type Secret, snippet, trialReport } from "../../../pipelines/snippets";
import { dryRun } from "../../../webhook/dry-run";
import { parseDeployPayload } from "../../../webhook/payload";
import { ActionButton, CopyBlock, CopyField, Empty, Time } from "../../components";
import { DeployTable } from "../../deploy-table";
import { attempt, readForm } from "../../forms";
import { Page } from "../../layout";
import { SAMPLE_SERVICE, sampleDeploy, type TestDeploy, TestDeployForm } from "./test-deploy";

const LATEST = 10;

type Previous = { token: string; expiresAt: number }[];

/** The URL is a credential: the page says where to keep it, and no snippet holds it. */
const storeInstruction = ({ store, name, where }: Secret) =>
	`Store this URL as ${store} ${name}${where ? ` (${where})` : ""}`;

type ShowProps = {
	integration: IntegrationRow;
	origin: string;
	deploys: Awaited<ReturnType<typeof listDeploys>>;
	/** The retired URLs still accepted; null for a viewer who may not see URLs. */
	previous: Previous | null;
	test: TestDeploy;
	notice?: string;
	/** A GitHub integration's signing secret, on the one answer that made it; never on a later page. */
	secret?: string;
};

function Show({ integration, origin, deploys, previous, test, notice, secret }: ShowProps) {
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
				{previous && (
					<div class="actions">
						<a class="button secondary" href={`/integrations/${integration.id}/rotate`}>
							Rotate URL…
						</a>
						<a class="button secondary" href={`/integrations/${integration.id}/revoke`}>
							Revoke…
						</a>
					</div>
				)}
			</div>
			{latest}
			{previous ? (
				<Setup
					integration={integration}
					origin={origin}
					previous={previous}
					test={test}
					open={latest === null}
					secret={secret}
				/>
			) : (
				<>
					{latest === null && (
						<>
							<h2>Latest deploys</h2>
							<Empty title="No deploys yet">
								<p>No deploy has reached this integration yet.</p>
							</Empty>
						</>
					)}
					<p class="muted">Only admins see this integration's secret URL and how to set it up.</p>
				</>
			)}
		</Page>
	);
}

type SetupProps = Pick<ShowProps, "integration" | "origin" | "test" | "secret"> & { previous: Previous; open: boolean };

/** The previous URLs still accepted after a rotation. */
function PreviousUrls({ previous }: { previous: Previous }) {
	return previous.map((p) => (
		<p class="muted">
			The previous URL, ending <code>…{p.token.slice(-6)}</code>, is still accepted until{" "}
			<Time ms={p.expiresAt} relative={false} />.
		</p>
	));
}

/** The URL, the setup snippet and the test deploy: an admin's, since the URL is the secret. */
function Setup(props: SetupProps) {
	const { integration, origin, previous, test, open } = props;
	const kindName = integration.kind;
	if (kindName === "github") return <GitHubSetup {...props} />;
	const kind = KINDS[kindName];
	return (
		<>
			{/* Once deploys arrive they lead, and the setup, done by then, folds away below them. */}
			<details class="setup" open={open}>
				<summary>
					<h2>Report deploys from {kind.label}</h2>
				</summary>
				<div class="panel">
					<CopyField
						id="webhook-url"
						label={`${storeInstruction(kind.secret)}. Keep it out of your repository: anyone holding it can report deploys.`}
						value={webhookUrl(origin, integration.webhookToken, kindName)}
					/>
					<PreviousUrls previous={previous} />
				</div>
				<p class="muted">{kind.blurb}. Replace the service name and environment with your own.</p>
				<CopyBlock id="snippet" code={snippet(kindName, origin)} />
			</details>
			<TestDeployForm id={integration.id} test={test} />
			{open && (
				<>
					<h2>Latest deploys</h2>
					<Empty title="No deploys yet">
						{/* The reporter sends the Custom Deploy body, which a Flux URL does not read. */}
						{webhookRoute(integration.kind) === "deploy" && (
							<>
								<p>
									Try it now from a terminal, with the URL above in <code>DEPLOY_WEBHOOK_URL</code>:
								</p>
								<pre>{trialReport(origin)}</pre>
							</>
						)}
					</Empty>
				</>
			)}
		</>
	);
}

/**
 * A GitHub integration's setup: a repository webhook in GitHub's settings, with
 * this URL and the signing secret, shown only on the answer that made it.
 */
function GitHubSetup({ integration, origin, previous, open, secret }: SetupProps) {
	return (
		<>
			<details class="setup" open={open || secret !== undefined}>
				<summary>
					<h2>Report deploys from GitHub</h2>
				</summary>
				<div class="panel stack">
					<p>
						In the repository on GitHub, open <strong>Settings › Webhooks › Add webhook</strong> and fill it in:
					</p>
					<CopyField
						id="webhook-url"
						label="Payload URL. Keep it private: only deliveries signed with the secret are recorded."
						value={webhookUrl(origin, integration.webhookToken, integration.kind)}
					/>
					<PreviousUrls previous={previous} />
					<p>
						<strong>Content type</strong>: <code>application/json</code>.
					</p>
					{secret === undefined ? (
						<p>
							<strong>Secret</strong>: the signing secret shown when it was made; it is set, and not shown again. Lost
							it? Generate a new one and paste it in the webhook's Secret field: the old one stops working at once.
						</p>
					) : (
						<CopyField
							id="signing-secret"
							label="Secret. Copy it now: it is shown this once. Deliveries without it are refused."
							value={secret}
						/>
					)}
					<p>
						<strong>Which events</strong>: “Let me select individual events”, then tick <strong>Deployments</strong> and{" "}
						<strong>Deployment statuses</strong> (and untick Pushes). Add the webhook: GitHub sends a ping, which shows
						a green tick under Recent Deliveries.
					</p>
					<p class="muted">
						Each deployment becomes a deploy of the service with the alias of the repository (<code>owner/repo</code>),
						or of the service a deployment's payload names (<code>{'{"service": "cart"}'}</code>), and each status moves
						it on.
					</p>
					<div>
						<ActionButton
							action={`/integrations/${integration.id}/signing-secret`}
							label="Generate a new secret"
							variant="secondary"
						/>
					</div>
				</div>
			</details>
			{open && (
				<>
					<h2>Latest deploys</h2>
					<Empty title="No deploys yet">
						<p>Deploys appear here when GitHub reports a deployment of the repository.</p>
					</Empty>
				</>
			)}
		</>
	);
}

/** An integration's page, with the test deploy as given (just its default service name on a plain visit). */
export async function showIntegration(
	c: AppContext,
	integration: IntegrationRow,
	{ test, secret }: { test?: Required<TestDeploy>; secret?: string } = {},
	status: ContentfulStatusCode = 200,
) {
	// Only an admin sees URLs, the retired ones included.
	const [deploys, previous] = await Promise.all([
		listDeploys(c.var.db, { integrationId: integration.id, limit: LATEST }),
		atLeast(c.var.actor.principal.role, "admin") ? previousWebhookTokens(c.var.db, integration.id) : null,
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
			secret={secret}
		/>,
		status,
	);
}

/** An integration's page, with its setup, and the test deploy it offers. */
export const integrationShow = factory
	.createApp()
	.get("/:id", allow("viewer"), async (c) => showIntegration(c, await loadIntegration(c.var.db, c.req.param("id"))))
	// A dry run through the webhook's own checks, for this integration's current URL: nothing is recorded.
	.post("/:id/test", allow("admin"), async (c) => {
		const integration = await loadIntegration(c.var.db, c.req.param("id"));
		const service = (await readForm(c)).service ?? "";
		const answer = await attempt(() =>
			dryRun(
				c,
				{ integrationId: integration.id, agent: null, payload: parseDeployPayload(sampleDeploy(service)) },
				integration.webhookToken,
			),
		);
		return showIntegration(c, integration, { test: { service, answer } }, answer.ok ? 200 : answer.error.status);
	})
	// The new secret is shown on this answer only, as a new API token's is.
	.post("/:id/signing-secret", allow("admin"), async (c) => {
		const id = c.req.param("id");
		const secret = await regenerateSigningSecret(c.var.db, id, c.var.actor);
		return showIntegration(c, await loadIntegration(c.var.db, id), { secret });
	});
