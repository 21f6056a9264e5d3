import type { ContentfulStatusCode } from "hono/utils/http-status";
import { allow } from "../../../access/guard";
import { loadIntegration, webhookRoute, webhookUrl } from "../../../catalog/integrations";
import { listDeploys } from "../../../db/deploys";
import { previousWebhookTokens } from "../../../db/integrations";
import type { IntegrationRow } from "../../../db/schema";
import { type AppContext, factory } from "../../../factory";
import { atLeast } from "../../../model/roles";
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

type ShowProps = {
	integration: IntegrationRow;
	origin: string;
	deploys: Awaited<ReturnType<typeof listDeploys>>;
	/** The retired URLs still accepted; null for a viewer who may not see URLs. */
	previous: Previous | null;
	test: TestDeploy;
	notice?: string;
};

function Show({ integration, origin, deploys, previous, test, notice }: ShowProps) {
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
				<Setup integration={integration} origin={origin} previous={previous} test={test} open={latest === null} />
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

/** The URL, the setup snippet and the test deploy: an admin's, since the URL is the secret. */
function Setup({
	integration,
	origin,
	previous,
	test,
	open,
}: Pick<ShowProps, "integration" | "origin" | "test"> & { previous: Previous; open: boolean }) {
	const kind = KINDS[integration.kind];
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
						value={webhookUrl(origin, integration.webhookToken, integration.kind)}
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

/** An integration's page, with the test deploy as given (just its default service name on a plain visit). */
async function showIntegration(
	c: AppContext,
	integration: IntegrationRow,
	test?: Required<TestDeploy>,
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
		return showIntegration(c, integration, { service, answer }, answer.ok ? 200 : answer.error.status);
	});
