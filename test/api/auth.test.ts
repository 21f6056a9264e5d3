import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ADMIN, admin, call, expectError, fetchWithEnv, parseResponse, unique } from "../helpers";

const ENDPOINTS = ["/api/integrations", "/api/services", "/api/deploys", "/api/suggestions"];

describe("with ADMIN_TOKEN configured", () => {
	it("the tests run with an admin token configured", () => {
		expect(env.ADMIN_TOKEN).toEqual(expect.any(String));
		expect(env.ADMIN_TOKEN).not.toBe("");
	});

	it.each(ENDPOINTS)("GET %s answers 200 with the admin token", async (path) => {
		const { status } = await admin("GET", path.replace(/^\/api/, ""));
		expect(status).toBe(200);
	});

	it.each(ENDPOINTS)("GET %s without Authorization answers 401 in the error shape", async (path) => {
		const response = await call(path);
		expectError(await parseResponse(response), 401);
	});

	it("a missing token's 401 carries a Bearer WWW-Authenticate challenge", async () => {
		const response = await call("/api/services");
		expect(response.status).toBe(401);
		expect(response.headers.get("WWW-Authenticate")).toMatch(/^Bearer\b/);
	});

	it("a wrong token answers 401 with a WWW-Authenticate header", async () => {
		const response = await call("/api/services", { headers: { Authorization: `Bearer ${env.ADMIN_TOKEN}x` } });
		expectError(await parseResponse(response), 401);
		expect(response.headers.get("WWW-Authenticate")).toMatch(/^Bearer\b/);
	});

	it("a token that is only a prefix of the admin token answers 401", async () => {
		const prefix = (env.ADMIN_TOKEN ?? "").slice(0, -1);
		const response = await call("/api/services", { headers: { Authorization: `Bearer ${prefix}` } });
		expectError(await parseResponse(response), 401);
	});

	it("the admin token without the Bearer scheme answers 401", async () => {
		const response = await call("/api/services", { headers: { Authorization: `${env.ADMIN_TOKEN}` } });
		expectError(await parseResponse(response), 401);
	});

	it("the admin token under another scheme answers 401", async () => {
		const response = await call("/api/services", { headers: { Authorization: `Basic ${env.ADMIN_TOKEN}` } });
		expectError(await parseResponse(response), 401);
	});

	it("an empty Bearer token answers 401", async () => {
		const response = await call("/api/services", { headers: { Authorization: "Bearer " } });
		expectError(await parseResponse(response), 401);
	});

	it("accepts the lowercase `bearer` scheme", async () => {
		const response = await call("/api/services", { headers: { Authorization: `bearer ${env.ADMIN_TOKEN}` } });
		expect(response.status).toBe(200);
	});

	it("writes need the token too: POST /api/services without it answers 401 and creates nothing", async () => {
		const name = unique("unauthorised");
		const response = await call("/api/services", {
			method: "POST",
			headers: { "Content-Type": "application/json" },
			body: JSON.stringify({ name }),
		});
		expectError(await parseResponse(response), 401);
		const { body } = await admin("GET", "/services");
		expect(body.services.map((s: { name: string }) => s.name)).not.toContain(name);
	});

	it("DELETE /api/integrations/:id with a wrong token answers 401 and keeps the integration", async () => {
		const { body: created } = await admin("POST", "/integrations", { name: unique("keep") });
		const response = await call(`/api/integrations/${created.id}`, {
			method: "DELETE",
			headers: { Authorization: "Bearer wrong-token" },
		});
		expectError(await parseResponse(response), 401);
		expect((await admin("GET", `/integrations/${created.id}`)).status).toBe(200);
	});

	it("an unknown path under /api with the token answers 404 in the error shape", async () => {
		const response = await call("/api/no-such-resource", { headers: ADMIN });
		expectError(await parseResponse(response), 404);
	});

	it("an unknown path under /api without a token answers 401, not 404", async () => {
		const response = await call("/api/no-such-resource");
		expectError(await parseResponse(response), 401);
	});
});

describe("with no ADMIN_TOKEN configured", () => {
	it.each(ENDPOINTS)("GET %s answers 503 in the error shape", async (path) => {
		const response = await fetchWithEnv({ ADMIN_TOKEN: undefined }, path);
		expectError(await parseResponse(response), 503);
	});

	it("stays closed whatever token is sent", async () => {
		for (const token of [env.ADMIN_TOKEN, "undefined", "null", ""]) {
			const response = await fetchWithEnv({ ADMIN_TOKEN: undefined }, "/api/services", {
				headers: { Authorization: `Bearer ${token}` },
			});
			expectError(await parseResponse(response), 503);
		}
	});

	it("an empty ADMIN_TOKEN counts as unset", async () => {
		const response = await fetchWithEnv({ ADMIN_TOKEN: "" }, "/api/services", {
			headers: { Authorization: "Bearer " },
		});
		expectError(await parseResponse(response), 503);
	});

	it("refuses writes too, creating nothing", async () => {
		const name = unique("closed");
		const response = await fetchWithEnv({ ADMIN_TOKEN: undefined }, "/api/services", {
			method: "POST",
			headers: { Authorization: `Bearer ${env.ADMIN_TOKEN}`, "Content-Type": "application/json" },
			body: JSON.stringify({ name }),
		});
		expectError(await parseResponse(response), 503);
		const { body } = await admin("GET", "/services");
		expect(body.services.map((s: { name: string }) => s.name)).not.toContain(name);
	});
});
