import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";

/** The migrations up to, not including, the one whose name starts with `prefix`. */
function migrationsBefore(prefix: string) {
	const at = env.TEST_MIGRATIONS.findIndex((m) => m.name.startsWith(prefix));
	expect(at, `a migration named ${prefix}…`).toBeGreaterThan(0);
	return env.TEST_MIGRATIONS.slice(0, at);
}

it("0004 keys the environments of deploys recorded before it, so old and new deploys compare alike", async () => {
	const db = env.MIGRATION_DB;
	await applyD1Migrations(db, migrationsBefore("0004_"));
	await db.prepare("INSERT INTO integrations (id, name, webhook_token, created_at) VALUES ('i', 'CI', 't', 0)").run();
	const insert = db.prepare(
		`INSERT INTO deploys (id, integration_id, service_alias, alias_key, environment, description, deployed_at,
			deploy_number, received_at, search_text) VALUES (?1, 'i', 'cart', 'cart', ?2, 'd', 0, '1', 0, 'd')`,
	);
	await db.batch([
		insert.bind("a", "Production"),
		insert.bind("b", "PRODUCTION"),
		insert.bind("c", "staging"),
		insert.bind("d", null),
	]);

	await applyD1Migrations(db, env.TEST_MIGRATIONS);

	const { results } = await db.prepare("SELECT id, environment, environment_key FROM deploys ORDER BY id").all();
	expect(results).toEqual([
		{ id: "a", environment: "Production", environment_key: "production" },
		{ id: "b", environment: "PRODUCTION", environment_key: "production" },
		{ id: "c", environment: "staging", environment_key: "staging" },
		{ id: "d", environment: null, environment_key: null },
	]);
	const plan = await db
		.prepare("EXPLAIN QUERY PLAN SELECT id FROM deploys WHERE environment_key = 'production' ORDER BY deployed_at")
		.all<{ detail: string }>();
	expect(plan.results.map((r) => r.detail)).toEqual([
		"SEARCH deploys USING COVERING INDEX deploys_environment_deployed_at_idx (environment_key=?)",
	]);
});
