import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { database } from "../../src/db/client";
import { liveIntegrationsWithActivity } from "../../src/db/integrations";
import { type SnippetKind, KINDS as TOOLS } from "../../src/pipelines/snippets";
import { admin, api, deploysOf, examplePayload, postDeploy, unique } from "../helpers";
import { tracesOf } from "../ledger/helpers";
import { browse, cells, count, form, page, rowOf, signIn, unescaped } from "./helpers";

const KINDS = ["deploy", "github_actions", "gitlab_ci", "jenkins", "octopus", "circleci", "argocd", "flux"];

/** Creates an integration through the form and answers its id, from the redirect. */
async function createThroughForm(cookie: string, name: string, kind = "deploy"): Promise<string> {
	const res = await page(cookie, "/integrations", { name, kind });
	expect(res.status).toBe(303);
	const id = /^\/integrations\/([0-9a-f-]{36})$/.exec(res.headers.get("Location") ?? "")?.[1];
	if (!id) throw new Error(`unexpected redirect to ${res.headers.get("Location")}`);
	return id;
}

async function webhookUrlOf(id: string): Promise<string> {
	return (await admin("GET", `/integrations/${id}`)).body.webhook_url;
}

/** The text of the setup snippet a page shows; a page without one fails here, saying so. */
function snippetOf(html: string): string {
	const snippet = /<pre id="snippet">([^<]*)<\/pre>/.exec(html)?.[1];
	if (snippet === undefined) throw new Error("the page shows no setup snippet");
	return unescaped(snippet);
}

describe("integration pages", () => {
	it("offers a tile per tool, each leading to its form", async () => {
		const html = await (await page(await signIn(), "/integrations/new")).text();
		for (const kind of KINDS) expect(html).toContain(`href="/integrations/new/${kind}"`);
		const form = await (await page(await signIn(), "/integrations/new/jenkins")).text();
		expect(form).toContain('name="kind" value="jenkins"');
		expect(form).toContain("Create a Deploy Endpoint");
	});

	it("answers an unknown tile with a 404 page", async () => {
		const res = await page(await signIn(), "/integrations/new/teamcity");
		expect(res.status).toBe(404);
		expect(await res.text()).toContain("there is no tile");
	});

	it("creates an endpoint and shows its URL once, to store as the secret its snippet reads", async () => {
		const cookie = await signIn();
		const id = await createThroughForm(cookie, unique("Actions"), "github_actions");
		const url = await webhookUrlOf(id);
		expect((await admin("GET", `/integrations/${id}`)).body.kind).toBe("github_actions");
		const html = await (await page(cookie, `/integrations/${id}`)).text();
		expect(html).toContain(
			"Store this URL as a repository secret named DEPLOY_WEBHOOK_URL (Settings › Secrets and variables › Actions)",
		);
		expect(html).toContain(`id="webhook-url" type="text" readonly="" value="${url}"`);
		expect(html).toContain('data-copy="webhook-url"');
		expect(count(html, url)).toBe(1);
		expect(html).toMatch(/<pre id="snippet">[^<]*- name: Report deploy/);
		// biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a JavaScript template
		expect(snippetOf(html)).toContain("webhook-url: ${{ secrets.DEPLOY_WEBHOOK_URL }}");
		expect(html).toContain("No deploys yet");
	});

	// The snippet is a file the user commits: the URL, the pipeline's only
	// credential, is shown beside it to store as a secret, never inside it.
	it.each(KINDS)(
		"gives a %s snippet that reads the URL from the secret the page names, never holding it",
		async (kind) => {
			const cookie = await signIn();
			const id = await createThroughForm(cookie, unique(kind), kind);
			const html = await (await page(cookie, `/integrations/${id}`)).text();
			const snippet = snippetOf(html);
			const url = await webhookUrlOf(id);
			const token = url.split("/").pop() ?? "";
			expect({ url: snippet.includes(url), token: snippet.includes(token) }).toEqual({ url: false, token: false });
			expect(count(html, url)).toBe(1);
			const { name } = TOOLS[kind as SnippetKind].secret;
			expect(unescaped(/<label for="webhook-url">([^<]*)</.exec(html)?.[1] ?? "")).toMatch(
				new RegExp(`^Store this URL as .* ${name}\\b`),
			);
			expect(snippet).toContain(name);
			expect(snippet).not.toMatch(/deploy-tracker\.example\.com|YOUR-INTEGRATION-ID|\/integrations\/(deploy|flux)\//);
			// The reporter comes from this tracker, or with the action from its repository; Argo CD and Flux post from the cluster.
			if (kind === "github_actions") expect(snippet).toMatch(/^ {8}uses: [\w-]+\/[\w-]+@/m);
			else if (kind === "argocd" || kind === "flux") expect(snippet).not.toContain("report-deploy.sh");
			else expect(snippet).toContain(`curl -fsSLo report-deploy.sh ${new URL(url).origin}/report-deploy.sh\n`);
		},
	);

	it("gives a Flux integration its Flux URL, and no terminal trial, whose Custom Deploy body that URL refuses", async () => {
		const cookie = await signIn();
		const flux = await createThroughForm(cookie, unique("Flux"), "flux");
		const url = await webhookUrlOf(flux);
		expect(new URL(url).pathname).toMatch(/^\/integrations\/flux\/[0-9a-f-]{36}$/);
		const html = await (await page(cookie, `/integrations/${flux}`)).text();
		expect(html).toContain(`id="webhook-url" type="text" readonly="" value="${url}"`);
		expect(html).toContain("No deploys yet");
		expect(html).not.toContain("report-deploy.sh | sh");
		// Every other kind's empty page offers it.
		const argocd = await createThroughForm(cookie, unique("Argo"), "argocd");
		expect(await (await page(cookie, `/integrations/${argocd}`)).text()).toContain("report-deploy.sh | sh");
	});

	it("shows the form again, with the reason, for a blank name, and creates nothing", async () => {
		const cookie = await signIn();
		const before = (await admin("GET", "/integrations")).body.integrations.length;
		const res = await page(cookie, "/integrations", { name: "  ", kind: "gitlab_ci" });
		expect(res.status).toBe(400);
		const html = await res.text();
		expect(html).toContain("param is missing or the value is empty: name");
		expect(html).toContain('name="kind" value="gitlab_ci"');
		expect((await admin("GET", "/integrations")).body.integrations.length).toBe(before);
	});

	it("refuses a kind no tile offers", async () => {
		const res = await page(await signIn(), "/integrations", { name: unique("x"), kind: "teamcity" });
		expect(res.status).toBe(400);
	});

	it("shows names as text, never as markup", async () => {
		const cookie = await signIn();
		const id = await createThroughForm(cookie, '<script>alert("x")</script>');
		for (const path of ["/integrations", `/integrations/${id}`]) {
			const html = await (await page(cookie, path)).text();
			expect(html).not.toContain('<script>alert("x")</script>');
			expect(html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
		}
	});

	it("lists the deploys the endpoint received, newest first", async () => {
		const cookie = await signIn();
		const id = await createThroughForm(cookie, unique("Busy"));
		const url = await webhookUrlOf(id);
		const alias = unique("listed");
		for (const day of ["2026-01-01", "2026-01-02"]) {
			expect((await postDeploy(url, examplePayload({ service: alias, deployed_at: `${day}T10:00:00Z` }))).status).toBe(
				202,
			);
		}
		const html = await (await page(cookie, `/integrations/${id}`)).text();
		expect(html).not.toContain("No deploys yet");
		expect(html.indexOf("2026-01-02 10:00 UTC")).toBeLessThan(html.indexOf("2026-01-01 10:00 UTC"));
		expect(html.indexOf("2026-01-01 10:00 UTC")).toBeGreaterThan(-1);
		expect(html).toContain(`href="/deploys?integration=${id}"`);
	});

	it("revokes after a confirmation page: the URL then answers 404", async () => {
		const cookie = await signIn();
		const id = await createThroughForm(cookie, unique("Doomed"));
		const url = await webhookUrlOf(id);
		const confirm = await (await page(cookie, `/integrations/${id}/revoke`)).text();
		expect(confirm).toContain(`action="/integrations/${id}/revoke"`);
		// Seeing the confirmation changes nothing.
		expect((await postDeploy(url, examplePayload({ service: unique("still") }))).status).toBe(202);

		const res = await page(cookie, `/integrations/${id}/revoke`, {});
		expect(res.status).toBe(303);
		expect(res.headers.get("Location")).toBe("/integrations?revoked");
		expect(await (await page(cookie, "/integrations?revoked")).text()).toContain("was revoked");
		expect((await postDeploy(url, examplePayload({ service: unique("late") }))).status).toBe(404);
		expect((await page(cookie, `/integrations/${id}`)).status).toBe(404);
		expect((await page(cookie, `/integrations/${id}/revoke`, {})).status).toBe(404);
	});
});

describe("rotating an integration's URL", () => {
	it("asks how long to keep the old URL, then shows the new one and until when the old one works", async () => {
		const cookie = await signIn();
		const id = await createThroughForm(cookie, unique("Leaky"));
		const old = await webhookUrlOf(id);
		const confirm = await (await page(cookie, `/integrations/${id}/rotate`)).text();
		expect(confirm).toContain('name="grace_seconds"');
		expect(confirm).toContain('<option value="86400" selected="">1 day</option>');

		const res = await page(cookie, `/integrations/${id}/rotate`, { grace_seconds: "3600" });
		expect(res.status).toBe(303);
		expect(res.headers.get("Location")).toBe(`/integrations/${id}?rotated`);
		const fresh = await webhookUrlOf(id);
		expect(fresh).not.toBe(old);
		const html = await (await page(cookie, `/integrations/${id}?rotated`)).text();
		expect(html).toContain("has a new URL");
		expect(html).toContain(`value="${fresh}"`);
		expect(html).toContain(`…${old.slice(-6)}`);
		expect(html).not.toContain(old);
		expect((await postDeploy(old, examplePayload({ service: unique("svc") }))).status).toBe(202);
	});

	it("retires the old URL at once when asked, and refuses periods it did not offer", async () => {
		const cookie = await signIn();
		const id = await createThroughForm(cookie, unique("Burnt"));
		const old = await webhookUrlOf(id);
		expect((await page(cookie, `/integrations/${id}/rotate`, { grace_seconds: "99" })).status).toBe(400);
		expect(await webhookUrlOf(id)).toBe(old);
		expect((await page(cookie, `/integrations/${id}/rotate`, { grace_seconds: "0" })).status).toBe(303);
		expect((await postDeploy(old, examplePayload({ service: unique("svc") }))).status).toBe(404);
	});
});

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

/** The text of each cell of the list's row for integration `id`. */
const listRow = (html: string, id: string) => cells(rowOf(html, `<a href="/integrations/${id}">`));

describe("the integrations list", () => {
	it("shows when each endpoint last received a deploy and how many it has from the last 24 hours and 7 days", async () => {
		const cookie = await signIn();
		const [busy, quiet, unused] = [
			await createThroughForm(cookie, unique("Busy")),
			await createThroughForm(cookie, unique("Quiet")),
			await createThroughForm(cookie, unique("Unused")),
		];
		const alias = unique("counted");
		for (const deployedAt of [ago(HOUR), ago(2 * HOUR), ago(3 * DAY), ago(10 * DAY)]) {
			await postDeploy(await webhookUrlOf(busy), examplePayload({ service: alias, deployed_at: deployedAt }));
		}
		// Received last, though deployed long ago: last received goes by arrival, not by deployed_at.
		await postDeploy(await webhookUrlOf(busy), examplePayload({ service: alias, deployed_at: "2020-01-01T00:00:00Z" }));
		await postDeploy(await webhookUrlOf(quiet), examplePayload({ service: alias, deployed_at: ago(9 * DAY) }));
		// As if it arrived nine days ago.
		await env.DB.prepare("UPDATE deploys SET received_at = received_at - ?1 WHERE integration_id = ?2")
			.bind(9 * DAY, quiet)
			.run();
		const arrivals = await env.DB.prepare(
			"SELECT integration_id AS id, max(received_at) AS last FROM deploys WHERE integration_id IN (?1, ?2) GROUP BY integration_id",
		)
			.bind(busy, quiet)
			.all<{ id: string; last: number }>();
		const lastOf = (id: string) => arrivals.results.find((r) => r.id === id)?.last;

		const rows = await liveIntegrationsWithActivity(database(env.DB));

		const ours = [busy, quiet, unused];
		expect(
			rows
				.filter((r) => ours.includes(r.id))
				.map(({ id, lastReceivedAt, lastDay, lastWeek }) => ({ id, lastReceivedAt, lastDay, lastWeek })),
		).toEqual([
			{ id: unused, lastReceivedAt: null, lastDay: 0, lastWeek: 0 },
			{ id: quiet, lastReceivedAt: lastOf(quiet), lastDay: 0, lastWeek: 0 },
			{ id: busy, lastReceivedAt: lastOf(busy), lastDay: 2, lastWeek: 3 },
		]);

		const html = await (await page(cookie, "/integrations")).text();
		const iso = (ms: number | undefined) => new Date(ms ?? 0).toISOString();
		const shown = (ms: number | undefined) => `${iso(ms).slice(0, 10)} ${iso(ms).slice(11, 16)} UTC`;
		expect([busy, quiet, unused].map((id) => listRow(html, id).slice(2, 5))).toEqual([
			[shown(lastOf(busy)), "2", "3"],
			[`${shown(lastOf(quiet))} silent`, "0", "0"],
			["never", "0", "0"],
		]);
	});
});

describe("an integration's page", () => {
	/** Where each part starts in the page; -1 when it is not there. */
	const layout = (html: string) => ({
		deploys: html.indexOf("<h2>Latest deploys</h2>"),
		setup: html.indexOf('<details class="setup"'),
		snippet: html.indexOf('<pre id="snippet">'),
		test: html.indexOf('<section id="test-deploy">'),
		empty: html.indexOf("No deploys yet"),
		open: /<details class="setup" open="">/.test(html),
	});

	it("leads with the setup, unfolded, until a deploy arrives", async () => {
		const cookie = await signIn();
		const id = await createThroughForm(cookie, unique("Fresh"));
		const at = layout(await (await page(cookie, `/integrations/${id}`)).text());
		expect(at.open).toBe(true);
		expect([at.setup < at.snippet, at.snippet < at.test, at.test < at.deploys, at.deploys < at.empty]).toEqual([
			true,
			true,
			true,
			true,
		]);
	});

	it("leads with its latest deploys once they arrive, the setup folded below them", async () => {
		const cookie = await signIn();
		const id = await createThroughForm(cookie, unique("Running"));
		await postDeploy(await webhookUrlOf(id), examplePayload({ service: unique("first") }));
		const at = layout(await (await page(cookie, `/integrations/${id}`)).text());
		expect(at).toMatchObject({ open: false, empty: -1 });
		expect([at.deploys < at.setup, at.setup < at.snippet, at.snippet < at.test]).toEqual([true, true, true]);
	});
});

describe("sending a test deploy from an integration's page", () => {
	/** The answer the page shows after a test deploy, as text. */
	const answerOf = (html: string) =>
		unescaped(
			/<div class="panel test-answer" role="status">(.*?)<\/div>/s.exec(html)?.[1]?.replace(/<[^>]*>/g, " ") ?? "",
		)
			.replace(/\s+/g, " ")
			.trim();

	it("offers the alias of the latest deploy, or a placeholder before there is one", async () => {
		const cookie = await signIn();
		const id = await createThroughForm(cookie, unique("Offer"));
		const field = async () =>
			/<input name="service" value="([^"]*)"/.exec(await (await page(cookie, `/integrations/${id}`)).text())?.[1];
		expect(await field()).toBe("my-service");
		const alias = unique("latest");
		await postDeploy(await webhookUrlOf(id), examplePayload({ service: alias }));
		expect(await field()).toBe(alias);
	});

	it("shows what the webhook would answer, records nothing, and leaves the next deploy's number alone", async () => {
		const cookie = await signIn();
		const id = await createThroughForm(cookie, unique("Tested"));
		const url = await webhookUrlOf(id);
		const alias = unique("tested");
		const service = await api.createService(unique("Tested service"), [alias]);
		await postDeploy(url, examplePayload({ service: alias, deploy_number: undefined }));
		const stranger = unique("stranger");
		const before = await tracesOf({ id });

		const known = await page(cookie, `/integrations/${id}/test`, { service: alias });
		const unknown = await page(cookie, `/integrations/${id}/test`, { service: stranger });

		expect(known.status).toBe(200);
		expect(answerOf(await known.text())).toBe(
			`The URL is live: a deploy of ${alias} would be recorded for the service ${service.name}. Nothing was recorded. ` +
				`200 ${JSON.stringify({ result: "ok", dry_run: true, service: { id: service.id, name: service.name } }, null, 2)}`.replace(
					/\s+/g,
					" ",
				),
		);
		expect(unknown.status).toBe(200);
		expect(answerOf(await unknown.text())).toMatch(
			new RegExp(
				`^The URL is live, but no service has the alias ${stranger} yet: .* 200 \\{ "result": "no_service_found"`,
			),
		);
		expect(await tracesOf({ id })).toEqual(before);
		expect(await deploysOf(stranger)).toEqual([]);
		await postDeploy(url, examplePayload({ service: alias, deploy_number: undefined }));
		expect((await deploysOf(alias)).map((d) => d.deploy_number)).toEqual(["2", "1"]);
	});

	it("shows the webhook's refusal of a blank service name with its status", async () => {
		const cookie = await signIn();
		const id = await createThroughForm(cookie, unique("Blank"));
		const res = await page(cookie, `/integrations/${id}/test`, { service: " " });
		expect(res.status).toBe(400);
		expect(await res.text()).toContain("param is missing or the value is empty: service");
	});

	it("takes the form only from the UI's own pages, and not for a revoked integration", async () => {
		const cookie = await signIn();
		const id = await createThroughForm(cookie, unique("Guarded"));
		const forged = await browse(`/integrations/${id}/test`, {
			method: "POST",
			headers: { Cookie: cookie, Origin: "https://evil.example", "Content-Type": "application/x-www-form-urlencoded" },
			body: form({ service: "x" }),
		});
		expect(forged.status).toBe(403);
		expect((await page(cookie, `/integrations/${id}/test`, { service: "x" })).status).toBe(200);
		expect((await page(cookie, `/integrations/${id}/revoke`, {})).status).toBe(303);
		expect((await page(cookie, `/integrations/${id}/test`, { service: "x" })).status).toBe(404);
	});
});

describe("a GitHub integration's pages", () => {
	/** The value of the read-only field `id` on a page, if it shows one. */
	const fieldValue = (html: string, id: string) =>
		new RegExp(`id="${id}" type="text" readonly="" value="([^"]*)"`).exec(html)?.[1];

	it("offers a GitHub tile, and shows the secret once, on the answer that created it, beside GitHub's setup steps", async () => {
		const cookie = await signIn();
		expect(await (await page(cookie, "/integrations/new")).text()).toContain('href="/integrations/new/github"');
		const created = await page(cookie, "/integrations", { name: unique("Repo"), kind: "github" });
		expect(created.status).toBe(201);
		const html = await created.text();
		const secret = fieldValue(html, "signing-secret") ?? "";
		expect(secret).toMatch(/^[0-9a-f]{64}$/);
		const url = fieldValue(html, "webhook-url") ?? "";
		expect(new URL(url).pathname).toMatch(/^\/integrations\/github\/[0-9a-f-]{36}$/);
		const steps = unescaped(html.replace(/<[^>]*>/g, ""));
		for (const step of [
			"Settings › Webhooks › Add webhook",
			"Content type: application/json",
			"Let me select individual events",
			"Deployments and Deployment statuses",
		]) {
			expect(steps).toContain(step);
		}
		// GitHub sends its own events: no snippet to commit, no Custom Deploy test.
		expect({ snippet: html.includes('id="snippet"'), test: html.includes('id="test-deploy"') }).toEqual({
			snippet: false,
			test: false,
		});

		const id = (await admin("GET", "/integrations")).body.integrations.find((i: any) => i.webhook_url === url)?.id;
		const later = await (await page(cookie, `/integrations/${id}`)).text();
		expect({ secret: later.includes(secret), field: fieldValue(later, "signing-secret") }).toEqual({
			secret: false,
			field: undefined,
		});
		expect(later).toContain("it is set, and not shown again");
		expect(later).toContain(`action="/integrations/${id}/signing-secret"`);
	});

	it("generates a new secret, shown on that answer only, which the webhook then takes instead of the old", async () => {
		const cookie = await signIn();
		const gh = await admin("POST", "/integrations", { name: unique("Repo"), kind: "github" });
		const renewed = await page(cookie, `/integrations/${gh.body.id}/signing-secret`, {});
		expect(renewed.status).toBe(200);
		const secret = fieldValue(await renewed.text(), "signing-secret") ?? "";
		expect(secret).toMatch(/^[0-9a-f]{64}$/);
		expect(secret).not.toEqual(gh.body.signing_secret);
		const later = await (await page(cookie, `/integrations/${gh.body.id}`)).text();
		expect(later.includes(secret)).toBe(false);
	});

	it("refuses a new secret to an integration that is not a GitHub one", async () => {
		const cookie = await signIn();
		const ci = await api.createIntegration(unique("CI"));
		const res = await page(cookie, `/integrations/${ci.id}/signing-secret`, {});
		expect(res.status).toBe(409);
		expect(await res.text()).toContain("only a GitHub integration has a signing secret");
	});
});
