import { describe, expect, it } from "vitest";
import {
	EXAMPLES,
	handSentDeploy,
	KINDS,
	PLACEHOLDER_ORIGIN,
	SNIPPET_KINDS,
	type SnippetKind,
	snippet,
} from "../../src/pipelines/snippets";
import { call } from "../helpers";

const ORIGIN = "https://deploys.acme.test";

describe("setup snippets", () => {
	// Each example is a file the user commits: the webhook URL, the pipeline's
	// only credential, stays in the secret store the integration page names.
	it.each(SNIPPET_KINDS)("%s: reads the webhook URL from the secret the page names, never holding one", (kind) => {
		const example = EXAMPLES[kind].text;
		// The bundler really read the file (a missing Text rule would not give its text).
		expect(example).toMatch(/^(#|\/\/) \S/);
		expect(example.match(/\S*\/integrations\/(deploy|flux)\/\S*/g)).toEqual(null);
		expect(example).toContain(KINDS[kind].secret.name);
	});

	// The action runs its own copy; Argo CD and Flux post from the cluster, with no shell step.
	const ownReporter: readonly SnippetKind[] = ["github_actions", "argocd", "flux"];
	it.each(SNIPPET_KINDS.filter((kind) => !ownReporter.includes(kind)))(
		"%s: fetches the reporter from this tracker",
		(kind) => {
			const text = snippet(kind, ORIGIN);
			expect(text).toContain(`curl -fsSLo report-deploy.sh ${ORIGIN}/report-deploy.sh\n`);
			expect(text).not.toContain(PLACEHOLDER_ORIGIN);
		},
	);

	it("puts the origin in literally, `$&` and all", () => {
		const odd = "https://a$&b$'c.test";
		expect(snippet("deploy", odd)).toContain(`curl -fsSLo report-deploy.sh ${odd}/report-deploy.sh\n`);
	});

	it("fetches a reporter that the tracker serves", async () => {
		const res = await call("/report-deploy.sh");
		expect(res.status).toBe(200);
		expect(await res.text()).toMatch(/\nmain "\$@"\n$/);
	});
});

// Shown on the pages with no deploy yet; test/e2e/examples.test.mjs runs it against the worker.
describe("the deploy to send by hand (examples/send-deploy.sh)", () => {
	it("posts to the URL in DEPLOY_WEBHOOK_URL, never holding one", () => {
		const text = handSentDeploy();
		expect(text).toMatch(/^# \S/);
		expect(text).toContain(`curl -X POST "$DEPLOY_WEBHOOK_URL" \\\n`);
		expect(text.match(/\S*\/integrations\/deploy\/\S*|https?:\/\/\S*/g)).toEqual(null);
	});

	it("names the service given, as a JSON string the shell's single quotes keep whole", () => {
		const lines = (text: string) => text.split("\n").filter((line) => line.includes('"service"'));
		expect(lines(handSentDeploy())).toEqual(['  "service": "my-service",']);
		expect(lines(handSentDeploy(`it's "$(x)" \\ $&`))).toEqual([`  "service": "it'\\''s \\"$(x)\\" \\\\ $&",`]);
	});
});
