import { describe, expect, it } from "vitest";
import {
	acceptedDeploy,
	createIntegration,
	createService,
	type Integration,
	integrationBeforeAll,
	listDeploys,
	unique,
} from "../helpers";
import { escaped, unescaped, view } from "./helpers";

const integration = integrationBeforeAll("ui deploys tests");

const deploy = (overrides: Record<string, unknown>, to: Integration = integration) =>
	acceptedDeploy(to.webhook_url, overrides);

/** The ids of the deploys a list page shows, top to bottom. */
const shown = (html: string) => [...html.matchAll(/<a href="\/deploys\/([^"?/]+)">/g)].map((m) => m[1] as string);

/** The ids the API lists for `params`, newest first. */
const idsFromApi = async (params: Record<string, string>) =>
	(await listDeploys({ ...params, limit: 200 })).deploys.map((d) => d.id as string);

/** A link's target, found by its text. */
function linkTo(html: string, text: string): string | undefined {
	const match = new RegExp(`<a href="([^"]*)">${text}</a>`).exec(html);
	return match?.[1] && unescaped(match[1]);
}

/** The list page for these filters, insisting on a 200. */
async function listPage(params: Record<string, string>) {
	const res = await view(`/deploys?${new URLSearchParams(params)}`);
	expect(res.status).toBe(200);
	return res.html;
}

describe("GET /deploys", () => {
	// First in the file: nothing has been deployed yet.
	it("with no deploys at all, says so and how to send one", async () => {
		const html = await listPage({});
		expect(html).toContain("No deploys yet");
		expect(html).toContain('href="/integrations/new"');
		expect(html).toContain("curl -X POST");
		expect(html).not.toContain("No deploys match these filters");
	});

	it("lists deploys newest first, with a GET filter form", async () => {
		const environment = unique("env");
		await deploy({ environment, deployed_at: "2030-01-01T10:00:00Z" });
		await deploy({ environment, deployed_at: "2030-01-02T10:00:00Z" });
		const html = await listPage({ environment });
		expect(shown(html)).toEqual(await idsFromApi({ environment }));
		expect(shown(html)).toHaveLength(2);
		expect(html).toMatch(/<form method="get" action="\/deploys" class="filters">/);
		for (const field of ["service", "environment", "deployer", "status", "from", "to"]) {
			expect(html).toContain(`name="${field}"`);
		}
		expect(html).toContain('type="date"');
	});

	it("filters by service, chosen by id, and marks it selected", async () => {
		const alias = unique("svc");
		const service = await createService(unique("Service"), [alias]);
		await deploy({ service: alias });
		await deploy({ service: alias });
		await deploy({ service: unique("other") });
		const html = await listPage({ service: service.id });
		expect(shown(html)).toHaveLength(2);
		expect(shown(html)).toEqual(await idsFromApi({ service: service.id }));
		expect(html).toContain(`<option value="${service.id}" selected="">${escaped(service.name)}</option>`);
	});

	it("filters by environment", async () => {
		const [environment, other] = [unique("env"), unique("env")];
		await deploy({ environment });
		await deploy({ environment: other });
		const html = await listPage({ environment });
		expect(shown(html)).toEqual(await idsFromApi({ environment }));
		expect(shown(html)).toHaveLength(1);
		expect(html).toContain(`value="${environment}"`);
	});

	it("filters by deployer e-mail, whatever its letter case", async () => {
		const environment = unique("env");
		const email = `${unique("dev")}@example.com`;
		await deploy({ environment, deployer: { email } });
		await deploy({ environment, deployer: { email: "someone-else@example.com" } });
		const html = await listPage({ environment, deployer: email.toUpperCase() });
		expect(shown(html)).toEqual(await idsFromApi({ environment, deployer: email }));
		expect(shown(html)).toHaveLength(1);
	});

	it("filters by status", async () => {
		const environment = unique("env");
		await deploy({ environment, status: "failed" });
		await deploy({ environment, status: "success" });
		await deploy({ environment });
		const html = await listPage({ environment, status: "failure" });
		expect(shown(html)).toEqual(await idsFromApi({ environment, status: "failure" }));
		expect(shown(html)).toHaveLength(1);
		expect(html).toContain('<option value="failure" selected="">');
	});

	it("filters by days: from its first instant, to the end of the `to` day (UTC)", async () => {
		const environment = unique("env");
		const times = [
			"2030-03-01T23:59:59.999Z",
			"2030-03-02T00:00:00Z",
			"2030-03-03T23:59:59.999Z",
			"2030-03-04T00:00:00Z",
		];
		for (const deployed_at of times) await deploy({ environment, deployed_at });
		const within = await idsFromApi({ environment, from: "2030-03-02T00:00:00Z", to: "2030-03-04T00:00:00Z" });
		expect(within).toHaveLength(2);
		expect(shown(await listPage({ environment, from: "2030-03-02", to: "2030-03-03" }))).toEqual(within);
		expect(shown(await listPage({ environment, from: "2030-03-03", to: "2030-03-03" }))).toHaveLength(1);
		expect(shown(await listPage({ environment, to: "2030-03-01" }))).toHaveLength(1);
		expect(shown(await listPage({ environment, from: "2030-03-04" }))).toHaveLength(1);
	});

	it("filters by integration, which the form carries along hidden", async () => {
		const environment = unique("env");
		const other = await createIntegration(unique("other CI"));
		await deploy({ environment });
		await deploy({ environment }, other);
		const html = await listPage({ environment, integration: other.id });
		expect(shown(html)).toEqual(await idsFromApi({ environment, integration: other.id }));
		expect(shown(html)).toHaveLength(1);
		expect(html).toContain(`<input type="hidden" name="integration" value="${other.id}"/>`);
	});

	it("says when filters match nothing, with a way to clear them", async () => {
		const html = await listPage({ environment: unique("nowhere") });
		expect(shown(html)).toEqual([]);
		expect(html).toContain("No deploys match these filters");
		expect(linkTo(html, "Clear the filters")).toBe("/deploys");
		expect(html).not.toContain("No deploys yet");
	});

	it("pages through more than 50 deploys, each shown exactly once, the filters kept", async () => {
		const environment = unique("paged");
		// Some share a deployed_at, so the order must fall back to the id.
		const at = (i: number) => `2031-01-01T00:${String(Math.floor(i / 3) % 60).padStart(2, "0")}:00Z`;
		for (let batch = 0; batch < 12; batch++) {
			await Promise.all(Array.from({ length: 10 }, (_, i) => deploy({ environment, deployed_at: at(batch * 10 + i) })));
		}
		const expected = await idsFromApi({ environment });
		expect(expected).toHaveLength(120);

		const pages: string[][] = [];
		let next: string | undefined = `/deploys?${new URLSearchParams({ environment })}`;
		while (next && pages.length < 10) {
			const res = await view(next);
			expect(res.status).toBe(200);
			pages.push(shown(res.html));
			if (pages.length > 1) expect(linkTo(res.html, "« Newest")).toBe(`/deploys?environment=${environment}`);
			else expect(linkTo(res.html, "« Newest")).toBeUndefined();
			next = linkTo(res.html, "Older »");
			if (next) expect(new URL(next, "https://x").searchParams.get("environment")).toBe(environment);
		}
		expect(pages.map((p) => p.length)).toEqual([50, 50, 20]);
		expect(pages.flat()).toEqual(expected);
	});

	it("answers an invalid filter with a 400 page naming the field", async () => {
		for (const [params, field] of [
			[{ status: "bogus" }, "status"],
			[{ from: "2030-02-30" }, "from"],
			[{ to: "yesterday" }, "to"],
			[{ from: "2030-03-05", to: "2030-03-01" }, "from"],
			[{ cursor: "not-a-cursor" }, "cursor"],
		] as const) {
			const res = await view(`/deploys?${new URLSearchParams(params)}`);
			expect(res.status).toBe(400);
			expect(res.html).toContain("That request was not valid");
			expect(res.html).toMatch(new RegExp(`<li>[^<]*: ${field}</li>`));
		}
	});
});

describe("GET /deploys/:id", () => {
	/** The one deploy sent under a fresh alias, and its page. */
	async function deployed(overrides: Record<string, unknown> = {}) {
		const alias = (overrides.service as string | undefined) ?? unique("detail");
		await deploy({ service: alias, ...overrides });
		const [id] = await idsFromApi({ service: alias });
		const res = await view(`/deploys/${id}`);
		expect(res.status).toBe(200);
		return { id, html: res.html };
	}

	it("shows what was reported, with links to the integration and the service", async () => {
		const alias = unique("shown");
		const service = await createService(unique("Shown"), [alias]);
		const { html } = await deployed({ service: alias, deploy_url: "https://ci.example.com/builds/234" });
		expect(html).toContain(`<a href="/services/${service.id}">${escaped(service.name)}</a>`);
		expect(html).toContain(`<a href="/integrations/${integration.id}">ui deploys tests</a>`);
		expect(html).toContain('<a href="https://ci.example.com/builds/234">');
		for (const text of [
			"Production",
			"Deployed by CI Pipeline: Deploy #234",
			"Michael Scott",
			"michael@example.com",
			"1a9f841f-9a3d-4423-a05a-7e9c31a02b16",
			"38d02f1d7aab64678a7ad3eeb2ad2887ce7253f5",
			"master",
			"2019-02-01 13:28 UTC",
		]) {
			expect(html).toContain(text);
		}
		expect(html).toContain(
			`<pre>${escaped("Merge branch 'fix-tax-rate' into 'master'").replaceAll("'", "&#39;")}</pre>`,
		);
	});

	it("links an unmatched alias to the suggestions", async () => {
		const alias = unique("unmatched");
		const { html } = await deployed({ service: alias });
		expect(html).toContain(alias);
		expect(html).toContain('href="/suggestions"');
	});

	it("shows the status history in the order it happened", async () => {
		const alias = unique("history");
		const dedup_id = crypto.randomUUID();
		for (const status of ["Pending", "In Progress", "Succeeded"]) await deploy({ service: alias, dedup_id, status });
		const { html } = await deployed({ service: alias, dedup_id });
		const history = html.slice(html.indexOf("Status history"));
		expect([...history.matchAll(/class="badge (\w+)"/g)].map((m) => m[1])).toEqual(["queued", "running", "success"]);
		expect(history.indexOf("Pending")).toBeLessThan(history.indexOf("In Progress"));
		expect(history.indexOf("In Progress")).toBeLessThan(history.indexOf("Succeeded"));
	});

	it("escapes what pipelines send", async () => {
		const script = "<script>alert(1)</script>";
		const { html } = await deployed({
			description: script,
			commit: { message: script, branch: script },
			deployer: { name: script, email: "x@example.com" },
		});
		expect(html).not.toContain(script);
		expect(html).toContain(escaped(script));
	});

	it("does not link a deploy_url that is not http(s)", async () => {
		const { html } = await deployed({ deploy_url: "javascript:alert(1)" });
		expect(html).not.toMatch(/href="\s*javascript:/i);
		expect(html).toContain("javascript:alert(1)");
	});

	it("answers an unknown id with a 404 page", async () => {
		const res = await view("/deploys/no-such-deploy");
		expect(res.status).toBe(404);
		expect(res.html).toContain("Not found");
		expect(res.html).toContain("no deploy with id");
	});
});
