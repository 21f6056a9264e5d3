import { env, exports } from "cloudflare:workers";

export const ORIGIN = "https://deploys.example.com";
export const ADMIN = { Authorization: `Bearer ${env.ADMIN_TOKEN}` };

/** A request to the Worker under test, through its real fetch handler. */
export function call(path: string, init: RequestInit = {}): Promise<Response> {
	return exports.default.fetch(new Request(`${ORIGIN}${path}`, init));
}

/** An admin API call with a JSON body (if any), answering the parsed JSON. */
export async function admin<T = any>(
	method: string,
	path: string,
	body?: unknown,
): Promise<{ status: number; body: T }> {
	const response = await call(`/api${path}`, {
		method,
		headers: { ...ADMIN, "Content-Type": "application/json" },
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	const text = await response.text();
	return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

export type Integration = { id: string; name: string; webhook_url: string; created_at: string };

export async function createIntegration(name = "CI"): Promise<Integration> {
	const { status, body } = await admin<Integration>("POST", "/integrations", { name });
	if (status !== 201) throw new Error(`creating an integration answered ${status}`);
	return body;
}

export async function createService(name: string, aliases?: string[]) {
	const { status, body } = await admin("POST", "/services", { name, aliases });
	if (status !== 201) throw new Error(`creating a service answered ${status}: ${JSON.stringify(body)}`);
	return body as { id: string; name: string; aliases: string[] };
}

/** The reference document's example payload, with overrides. */
export function examplePayload(overrides: Record<string, unknown> = {}): Record<string, unknown> {
	return {
		dedup_id: crypto.randomUUID(),
		service: "shopping_cart",
		deployer: { id: "1a9f841f-9a3d-4423-a05a-7e9c31a02b16", email: "michael@example.com", name: "Michael Scott" },
		deployed_at: "2019-02-01 13:28:33",
		environment: "Production",
		description: "Deployed by CI Pipeline: Deploy #234",
		deploy_url: "",
		deploy_number: "234",
		commit: {
			sha: "38d02f1d7aab64678a7ad3eeb2ad2887ce7253f5",
			message: "Merge branch 'fix-tax-rate' into 'master'",
			branch: "master",
			date: "2019-02-01 09:23:43",
			committer_name: "Michael Scott",
			committer_email: "michael@example.com",
			author_name: "Michael Scott",
			author_email: "michael@example.com",
			authoring_date: "2019-02-01 09:23:43",
		},
		...overrides,
	};
}

/** POSTs a deploy to a webhook URL; `body` may be a raw string to test parsing. */
export async function postDeploy(
	webhookUrl: string,
	body: unknown,
	headers: Record<string, string> = { "Content-Type": "application/json" },
) {
	const path = new URL(webhookUrl).pathname + new URL(webhookUrl).search;
	const response = await call(path, {
		method: "POST",
		headers,
		body: typeof body === "string" ? body : JSON.stringify(body),
	});
	return { status: response.status, body: (await response.json()) as any };
}
