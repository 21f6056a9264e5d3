import { describe, expect, it } from "vitest";
import type { IntegrationKind } from "../../src/db/schema";
import { KINDS as TOOLS } from "../../src/pipelines/snippets";
import { admin, examplePayload, postDeploy, unique } from "../helpers";
import { page, signIn, unescaped } from "./helpers";

const KINDS = ["deploy", "github_actions", "gitlab_ci", "jenkins", "octopus", "circleci"];

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

/** The text of the setup snippet a page shows. */
const snippetOf = (html: string) => unescaped(/<pre id="snippet">([^<]*)<\/pre>/.exec(html)?.[1] ?? "");

const count = (text: string, part: string) => text.split(part).length - 1;

describe("integration pages", () => {
	it("greets a newcomer with what to do first", async () => {
		const html = await (await page(await signIn(), "/integrations")).text();
		expect(html).toContain("No integrations yet");
		expect(html).toContain('href="/integrations/new"');
	});

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
			const { name } = TOOLS[kind as IntegrationKind].secret;
			expect(unescaped(/<label for="webhook-url">([^<]*)</.exec(html)?.[1] ?? "")).toMatch(
				new RegExp(`^Store this URL as .* ${name}\\b`),
			);
			expect(snippet).toContain(name);
			expect(snippet).not.toMatch(/deploy-tracker\.example\.com|YOUR-INTEGRATION-ID|\/integrations\/deploy\//);
			// The reporter comes from this tracker, or with the action from its repository.
			if (kind === "github_actions") expect(snippet).toMatch(/^ {8}uses: [\w-]+\/[\w-]+@/m);
			else expect(snippet).toContain(`curl -fsSLo report-deploy.sh ${new URL(url).origin}/report-deploy.sh\n`);
		},
	);

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
