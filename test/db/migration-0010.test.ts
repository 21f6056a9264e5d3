import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";

// A file of its own: each test file starts with an empty MIGRATION_DB, and
// this one must stop at 0009 (migrations.test.ts has already applied them all).

it("0010 gives every stored deploy the rollback flag and restore time the metrics computed from its stream", async () => {
	const db = env.MIGRATION_DB;
	await applyD1Migrations(
		db,
		env.TEST_MIGRATIONS.filter((m) => m.name < "0010_"),
	);
	await db.prepare("INSERT INTO integrations (id, name, webhook_token, created_at) VALUES ('i', 'i', 't', 0)").run();
	await db.prepare("INSERT INTO services (id, name, created_at) VALUES ('s', 'cart', 0)").run();
	// A service's production stream: A, B (failed), A again (a rollback that restores B), B (a failure never restored);
	// and an unclaimed alias's stream, whose failure the next success restores, an hour later.
	const deploy = db.prepare(
		`INSERT INTO deploys (id, integration_id, service_id, service_alias, alias_key, environment_key, description,
			deployed_at, deploy_number, status, commit_sha, received_at, search_text)
		VALUES (?1, 'i', ?2, ?3, ?3, ?4, '', ?5, ?1, ?6, ?7, 0, '')`,
	);
	await db.batch([
		deploy.bind("d1", "s", "cart", "production", 1_000, "success", "a"),
		deploy.bind("d2", "s", "cart", "production", 2_000, "failure", "b"),
		deploy.bind("d3", "s", "cart", "production", 3_000, "success", "a"),
		deploy.bind("d4", "s", "cart", "production", 4_000, "failure", "b"),
		// The same shas in another environment: a stream of its own, so no rollback.
		deploy.bind("d5", "s", "cart", "staging", 5_000, "success", "b"),
		deploy.bind("u1", null, "stray", null, 1_000, "failure", null),
		deploy.bind("u2", null, "stray", null, 3_601_000, "success", null),
	]);

	await applyD1Migrations(db, env.TEST_MIGRATIONS);

	const { results } = await db.prepare("SELECT id, is_rollback, restored_at FROM deploys ORDER BY id").all();
	expect(results).toEqual([
		{ id: "d1", is_rollback: 0, restored_at: null },
		{ id: "d2", is_rollback: 0, restored_at: 3_000 },
		{ id: "d3", is_rollback: 1, restored_at: null },
		{ id: "d4", is_rollback: 1, restored_at: null },
		{ id: "d5", is_rollback: 0, restored_at: null },
		{ id: "u1", is_rollback: 0, restored_at: 3_601_000 },
		{ id: "u2", is_rollback: 0, restored_at: null },
	]);
});
