import { describe, expect, it } from "vitest";
import { INTEGRATION_KINDS } from "../../src/db/schema";
import { EXAMPLES, PLACEHOLDER_ORIGIN, PLACEHOLDER_WEBHOOK_URL, snippet } from "../../src/pipelines/snippets";
import { call } from "../helpers";

const ORIGIN = "https://deploys.acme.test";
const URL = `${ORIGIN}/integrations/deploy/0b7c3e1a-5d2f-4c8e-9a61-3f0d2b7e4c15`;

const count = (text: string, part: string) => text.split(part).length - 1;

describe("setup snippets", () => {
	it.each(INTEGRATION_KINDS)("%s: the example file shows the integration's URL once, to store as a secret", (kind) => {
		const example = EXAMPLES[kind].text;
		// The bundler really read the file (a missing Text rule would not give its text).
		expect(example).toMatch(/^(#|\/\/) \S/);
		expect(count(example, PLACEHOLDER_WEBHOOK_URL)).toBe(1);

		const text = snippet(kind, URL);
		expect(count(text, URL)).toBe(1);
		expect(text).not.toContain(PLACEHOLDER_ORIGIN);
		expect(text).not.toContain("YOUR-INTEGRATION-ID");
	});

	it.each(INTEGRATION_KINDS.filter((kind) => kind !== "github_actions"))(
		"%s: fetches the reporter from this tracker",
		(kind) => {
			expect(snippet(kind, URL)).toContain(`curl -fsSLo report-deploy.sh ${ORIGIN}/report-deploy.sh\n`);
		},
	);

	it("puts the URL in literally, `$&` and all", () => {
		const odd = `${ORIGIN}/integrations/deploy/a$&b$'c`;
		expect(snippet("deploy", odd)).toContain(`'${odd}'`);
	});

	it("fetches a reporter that the tracker serves", async () => {
		const res = await call("/report-deploy.sh");
		expect(res.status).toBe(200);
		expect(await res.text()).toMatch(/\nmain "\$@"\n$/);
	});
});
