/**
 * The ledger's own schema, applied in order when the object starts. Append new
 * steps; never edit one that has shipped.
 */
const STEPS = [
	`CREATE TABLE entries (
		id TEXT PRIMARY KEY,
		dedup_id TEXT UNIQUE,
		entry TEXT NOT NULL,
		received_at INTEGER NOT NULL,
		delivered_at INTEGER,
		attempts INTEGER NOT NULL DEFAULT 0
	);
	CREATE INDEX entries_pending ON entries (received_at, id) WHERE delivered_at IS NULL;
	CREATE TABLE sequences (key TEXT PRIMARY KEY, last INTEGER NOT NULL);
	CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);`,
	// Webhook tokens rotated away, and from when on D1 must be asked whether they still count (see Ledger.retire).
	"CREATE TABLE retired_tokens (token TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);",
];

export function migrate(sql: SqlStorage): void {
	sql.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
	const version = sql.exec<{ version: number }>("SELECT version FROM schema_version").toArray()[0]?.version ?? 0;
	STEPS.slice(version).forEach((step, i) => {
		sql.exec(step);
		sql.exec("DELETE FROM schema_version");
		sql.exec("INSERT INTO schema_version (version) VALUES (?)", version + i + 1);
	});
}
