import type { ContentfulStatusCode } from "hono/utils/http-status";
import { loadIntegration, webhookUrl } from "../../../catalog/integrations";
import { listDeploys } from "../../../db/deploys";
import { previousWebhookTokens } from "../../../db/integrations";
import type { IntegrationRow } from "../../../db/schema";
import { type AppContext, factory } from "../../../factory";
import { KINDS, type Secret, snippet, trialReport } from "../../../pipelines/snippets";
import { dryRun } from "../../../webhook/dry-run";
import { parseDeployPayload } from "../../../webhook/payload";
import { CopyBlock, CopyField, Empty, Time } from "../../components";
import { DeployTable } from "../../deploy-table";
import { attempt, readForm } from "../../forms";
import { Page } from "../../layout";
import { SAMPLE_SERVICE, sampleDeploy, type TestDeploy, TestDeployForm } from "./test-deploy";

const LATEST = 10;

type Previous = { token: string; expiresAt: number }[];

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
	c: AppContext,
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

/** An integration's page, with its setup, and the test deploy it offers. */
export const integrationShow = factory
	.createApp()
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
	});
