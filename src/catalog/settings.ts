import { z } from "zod";
import type { Actor } from "../audit/actor";
import { audited } from "../audit/log";
import type { Database } from "../db/client";
import { findSetting, upsertSetting } from "../db/settings";
import { MAX_NAME, object, requiredText } from "../http/validation";
import { environmentKey, PRODUCTION } from "../model/environment";

// Which environments count as production: a setting of the catalog, as it
// decides how services are summed up (the services list's "In production", a
// service page's default figures). Stored in D1's settings table as keys.

/** The setting's key in the settings table, and its audit target's id. */
const PRODUCTION_KEY = "production_environments";

/** The most environments the setting may name: enough for any naming scheme, few enough for one SQL `values`. */
export const MAX_PRODUCTION_ENVIRONMENTS = 20;

/** Environment names as typed, answered as keys (see `environmentKey`), each once, in the order given. */
const productionNames = z
	.array(requiredText({ max: MAX_NAME }), { error: "param must be an array of strings" })
	.min(1, { error: "param must name at least one environment" })
	.max(MAX_PRODUCTION_ENVIRONMENTS, { error: `param names more than ${MAX_PRODUCTION_ENVIRONMENTS} environments` })
	.transform((names) => [...new Set(names.map(environmentKey))]);

/** Changing the settings: the API's body and the UI's form alike. */
export const settingsInput = object({ production_environments: productionNames });

/** The setting as it stands: its keys, and when it was last changed (null while it is the default). */
export type ProductionSetting = { environments: readonly string[]; updatedAt: number | null };

/** The production setting: one primary-key read; the default (`PRODUCTION`) until someone sets it. */
export async function productionSetting(db: Database): Promise<ProductionSetting> {
	const row = await findSetting(db, PRODUCTION_KEY);
	if (row === undefined) return { environments: PRODUCTION, updatedAt: null };
	// Parsed as it was validated when written, so what is read is always keys.
	return { environments: productionNames.parse(JSON.parse(row.value)), updatedAt: row.updatedAt };
}

/** The environment keys that count as production. */
export async function productionEnvironments(db: Database): Promise<readonly string[]> {
	return (await productionSetting(db)).environments;
}

/** Sets which environments count as production (`keys` from `settingsInput`), with its audit row in the same batch. */
export async function setProductionEnvironments(
	db: Database,
	keys: string[],
	actor: Actor,
	now = Date.now(),
): Promise<ProductionSetting> {
	const previous = await productionEnvironments(db);
	await db.batch([
		upsertSetting(db, PRODUCTION_KEY, JSON.stringify(keys), now),
		audited(
			db,
			actor,
			"settings.production",
			{ type: "settings", id: PRODUCTION_KEY },
			{ environments: keys, previous },
		),
	]);
	return { environments: keys, updatedAt: now };
}

// How far back from an incident's start its service's latest deploy is blamed
// for it (see the README's "Incidents"): a setting, in whole hours.

/** The incident window's key in the settings table, and its audit target's id. */
const INCIDENT_WINDOW_KEY = "incident_window_hours";
export const DEFAULT_INCIDENT_WINDOW_HOURS = 24;
/** At most a month: a deploy older than that is not what broke today. */
export const MAX_INCIDENT_WINDOW_HOURS = 720;

const windowHours = z
	.number({ error: "param must be a whole number of hours" })
	.int({ error: "param must be a whole number of hours" })
	.min(1, { error: "param must be at least 1 hour" })
	.max(MAX_INCIDENT_WINDOW_HOURS, { error: `param must be at most ${MAX_INCIDENT_WINDOW_HOURS} hours` });

/** Changing the incident window: the API's body and the UI's form alike. */
export const incidentWindowInput = object({ incident_window_hours: windowHours });

/** The incident window in hours: one primary-key read; the default until someone sets it. */
export async function incidentWindowHours(db: Database): Promise<number> {
	const row = await findSetting(db, INCIDENT_WINDOW_KEY);
	return row === undefined ? DEFAULT_INCIDENT_WINDOW_HOURS : windowHours.parse(JSON.parse(row.value));
}

/** Sets the incident window, with its audit row in the same batch. */
export async function setIncidentWindowHours(db: Database, hours: number, actor: Actor, now = Date.now()) {
	const previous = await incidentWindowHours(db);
	await db.batch([
		upsertSetting(db, INCIDENT_WINDOW_KEY, JSON.stringify(hours), now),
		audited(db, actor, "settings.incident_window", { type: "settings", id: INCIDENT_WINDOW_KEY }, { hours, previous }),
	]);
	return hours;
}
