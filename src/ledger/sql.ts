import type { Meter } from "../cost/meter";

type Row = Record<string, SqlStorageValue>;
type Values = SqlStorageValue[];

/**
 * Statements on a Durable Object's SQLite as tagged templates, so each reads
 * inline with its values: sql.one<Row>`SELECT … WHERE key = ${key}`. Every
 * `${…}` becomes a bound parameter, never SQL text. The rows each statement
 * reads and writes are added to `meter`: Cloudflare bills them.
 */
export function sqlOn(storage: SqlStorage, meter: Pick<Meter, "sql">) {
	const rows = <T extends Row>(text: TemplateStringsArray, values: Values): T[] => {
		const cursor = storage.exec<T>(text.join("?"), ...values);
		const result = cursor.toArray();
		meter.sql(cursor);
		return result;
	};
	return {
		/** Every row the statement yields. */
		all: <T extends Row>(text: TemplateStringsArray, ...values: Values): T[] => rows<T>(text, values),
		/** The statement's only row, or undefined if it yields none; more than one is a mistake in the query. */
		one: <T extends Row>(text: TemplateStringsArray, ...values: Values): T | undefined => {
			const result = rows<T>(text, values);
			if (result.length > 1) throw new Error(`Expected at most one row, got ${result.length}: ${text.join("?")}`);
			return result[0];
		},
		/** Runs the statement for its effect. */
		run: (text: TemplateStringsArray, ...values: Values): void => {
			rows(text, values);
		},
	};
}

export type Sql = ReturnType<typeof sqlOn>;
