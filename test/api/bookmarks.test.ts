import { describe, expect, it } from "vitest";
import { parseCostHeader } from "../../src/cost/meter";
import { ADMIN, admin, examplePayload, fetchWithEnv, integrationBeforeAll, unique } from "../helpers";
import { BOOKMARK, observedDB, replicaHoldingToken } from "../sessions";

/** An API call through the app with its D1 binding observed. */
function request(DB: D1Database, method: string, path: string, headers: Record<string, string> = {}, body?: unknown) {
	return fetchWithEnv({ DB }, `/api${path}`, {
		method,
		headers: { ...ADMIN, "Content-Type": "application/json", ...headers },
		body: body === undefined ? undefined : JSON.stringify(body),
	});
}

describe("reads near the caller (D1 sessions)", () => {
	it("starts a change at the primary and hands back its bookmark; a read sent with it starts there and sees the change", async () => {
		const { DB, starts } = observedDB();
		const name = unique("Bookmarked");
		const created = await request(DB, "POST", "/services", {}, { name, aliases: [] });
		expect(created.status).toBe(201);
		const bookmark = created.headers.get("x-d1-bookmark") ?? "";
		expect(bookmark).toMatch(BOOKMARK);
		const { id } = await created.json<{ id: string }>();

		const read = await request(DB, "GET", `/services/${id}`, { "x-d1-bookmark": bookmark });
		expect({ status: read.status, name: (await read.json<{ name: string }>()).name }).toEqual({ status: 200, name });
		expect(starts).toEqual(["first-primary", bookmark]);
		// The session moves forward from what the caller carried, never back.
		expect((read.headers.get("x-d1-bookmark") ?? "") >= bookmark).toBe(true);
	});

	it("starts a read without a bookmark anywhere, and still reports its cost", async () => {
		const { DB, starts } = observedDB();
		const res = await request(DB, "GET", "/services");
		expect(res.status).toBe(200);
		expect(starts).toEqual(["first-unconstrained"]);
		expect(res.headers.get("x-d1-bookmark")).toMatch(BOOKMARK);
		expect(parseCostHeader(res.headers.get("Cost") ?? "").d1Queries).toBeGreaterThan(0);
	});

	it.each([
		["not a bookmark", "garbage"],
		["markup", "<script>alert(1)</script>"],
		["a constraint", "first-primary"],
		["too long", `00000000-${"f".repeat(200)}`],
		["too many groups", Array(12).fill("0000").join("-")],
		["a trailing extra", "00000000-0000000a-00000000-00000000000000000000000000000000;x"],
	])("ignores a bookmark that is %s: the read starts anywhere and the value is never echoed", async (_, bad) => {
		const { DB, starts } = observedDB();
		const res = await request(DB, "GET", "/services", { "x-d1-bookmark": bad });
		expect(res.status).toBe(200);
		expect(starts).toEqual(["first-unconstrained"]);
		expect(res.headers.get("x-d1-bookmark")).toMatch(BOOKMARK);
	});

	it("decides who is calling at the primary: a revoked token is refused while a lagging replica still holds it", async () => {
		const token = (await admin("POST", "/tokens", { name: unique("lagged"), role: "viewer" })).body;
		const replica = await replicaHoldingToken(token.id);
		expect((await admin("DELETE", `/tokens/${token.id}`)).status).toBe(204);

		const { DB, starts } = observedDB(replica);
		const res = await request(DB, "GET", "/tokens", { Authorization: `Bearer ${token.secret}` });
		expect(starts).toEqual(["first-unconstrained"]);
		expect(res.status).toBe(401);
	});
});

describe("ingest", () => {
	const integration = integrationBeforeAll("bookmarks ingest");

	it("stays on the primary: the webhook opens no session and hands out no bookmark", async () => {
		const { DB, starts } = observedDB();
		const url = new URL(integration.webhook_url);
		const res = await fetchWithEnv({ DB }, url.pathname + url.search, {
			method: "POST",
			headers: { "Content-Type": "application/json" },
			body: JSON.stringify(examplePayload({ deploy_number: unique("n") })),
		});
		expect(res.status).toBe(202);
		expect(starts).toEqual([]);
		expect(res.headers.get("x-d1-bookmark")).toBeNull();
	});
});
