import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";

// A file of its own: each test file starts with an empty MIGRATION_DB, and
// this one must stop at 0004 (migrations.test.ts has already applied them all).

it("0005 keeps every audit event recorded before it, as the admin token's, and its indexes", async () => {
	const db = env.MIGRATION_DB;
	await applyD1Migrations(
		db,
		env.TEST_MIGRATIONS.filter((m) => m.name < "0005_"),
	);
	await db
		.prepare(
			`INSERT INTO audit_events (id, at, via, credential, ip, action, target_type, target_id, details)
			VALUES ('e1', 5, 'api', 'previous', '192.0.2.1', 'service.create', 'service', 's1', '{"name":"cart"}')`,
		)
		.run();

	await applyD1Migrations(db, env.TEST_MIGRATIONS);

	const { results } = await db.prepare("SELECT * FROM audit_events").all();
	expect(results).toEqual([
		{
			id: "e1",
			at: 5,
			via: "api",
			credential: "previous",
			actor_kind: "admin-token",
			actor_name: null,
			ip: "192.0.2.1",
			action: "service.create",
			target_type: "service",
			target_id: "s1",
			details: '{"name":"cart"}',
		},
	]);
	const indexes = await db
		.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit_events' AND sql IS NOT NULL")
		.all<{ name: string }>();
	expect(indexes.results.map((r) => r.name).sort()).toEqual(["audit_events_at_idx", "audit_events_target_idx"]);
	// Changes by people and tokens name them, and need no admin token.
	await db
		.prepare(
			`INSERT INTO audit_events (id, at, via, actor_kind, actor_name, action, target_type, target_id)
			VALUES ('e2', 6, 'ui', 'member', 'ada@example.com', 'service.create', 'service', 's2')`,
		)
		.run();
});
