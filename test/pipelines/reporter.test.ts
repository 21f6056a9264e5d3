import { describe, expect, it } from "vitest";
import { call } from "../helpers";

describe("GET /report-deploy.sh", () => {
	it("serves the reporter script as text", async () => {
		const res = await call("/report-deploy.sh");
		expect(res.status).toBe(200);
		expect(res.headers.get("Content-Type")).toMatch(/^text\/x-shellscript/);
		const script = await res.text();
		expect(script).toMatch(/^#!\/bin\/sh\n/);
		expect(script).toContain("--dry-run");
	});
});
