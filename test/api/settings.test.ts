import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { MAX_NAME } from "../../src/http/validation";
import { admin, call, expectError, ISO_DATETIME, parseResponse, unique } from "../helpers";

const DEFAULT = { production_environments: ["production", "prod"], updated_at: null };

const put = (body: unknown) => admin("PUT", "/settings", body);

/** The setting's audit events, newest first (the file's tests share one database). */
async function auditEvents() {
	const { body } = await admin("GET", "/audit?target_type=settings&target_id=production_environments");
	return body.events.map((e: any) => ({ action: e.action, target: e.target, details: e.details }));
}

// Each test starts from the default, whatever the one before it saved.
afterEach(async () => {
	await env.DB.prepare("delete from settings").run();
});

describe("the production setting", () => {
	it("covers production and prod until it is set", async () => {
		expect(await admin("GET", "/settings")).toEqual({ status: 200, body: DEFAULT });
	});

	it("is saved as keys: trimmed, lower-cased, each once, in the order given", async () => {
		const saved = await put({ production_environments: [" Live ", "PRD", "live", "Prod"] });
		expect(saved.status).toBe(200);
		expect(saved.body.production_environments).toEqual(["live", "prd", "prod"]);
		expect(saved.body.updated_at).toMatch(ISO_DATETIME);
		expect(await admin("GET", "/settings")).toEqual({ status: 200, body: saved.body });
	});

	it("writes an audit row with what it was and what it became", async () => {
		await put({ production_environments: ["Live"] });
		await put({ production_environments: ["live", "prd"] });
		const target = { type: "settings", id: "production_environments" };
		expect((await auditEvents()).slice(0, 2)).toEqual([
			{ action: "settings.production", target, details: { environments: ["live", "prd"], previous: ["live"] } },
			{ action: "settings.production", target, details: { environments: ["live"], previous: ["production", "prod"] } },
		]);
	});

	it.each([
		["no body", undefined, "Body Error"],
		["no field", {}, "Production environments Error"],
		["a string, not a list", { production_environments: "prod" }, "Production environments Error"],
		["an empty list", { production_environments: [] }, "Production environments Error"],
		["a blank name", { production_environments: ["prod", "  "] }, "Production environments 1 Error"],
		["a name that is not text", { production_environments: [42] }, "Production environments 0 Error"],
		["a name too long", { production_environments: ["p".repeat(MAX_NAME + 1)] }, "Production environments 0 Error"],
		[
			"21 names",
			{ production_environments: Array.from({ length: 21 }, (_, i) => `env${i}`) },
			"Production environments Error",
		],
	])("refuses %s with a 400 and changes nothing", async (_, body, title) => {
		const logged = await auditEvents();
		const res = await put(body);
		expectError(res, 400, title);
		expect(await admin("GET", "/settings")).toEqual({ status: 200, body: DEFAULT });
		expect(await auditEvents()).toEqual(logged);
	});

	it("may be read by a viewer but not changed by one", async () => {
		const token = await admin("POST", "/tokens", { name: unique("viewer bot"), role: "viewer" });
		const headers = { Authorization: `Bearer ${token.body.secret}`, "Content-Type": "application/json" };
		const logged = await auditEvents();
		const read = await parseResponse(await call("/api/settings", { headers }));
		expect(read).toEqual({ status: 200, body: DEFAULT });
		const body = JSON.stringify({ production_environments: ["live"] });
		expectError(await parseResponse(await call("/api/settings", { method: "PUT", headers, body })), 403, "Role Error");
		expect(await admin("GET", "/settings")).toEqual({ status: 200, body: DEFAULT });
		expect(await auditEvents()).toEqual(logged);
	});
});
