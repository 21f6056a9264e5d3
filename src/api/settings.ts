import { describeRoute } from "hono-openapi";
import { z } from "zod";
import { allow } from "../access/guard";
import {
	DEFAULT_INCIDENT_WINDOW_HOURS,
	incidentWindowHours,
	incidentWindowInput,
	MAX_INCIDENT_WINDOW_HOURS,
	MAX_PRODUCTION_ENVIRONMENTS,
	type ProductionSetting,
	productionSetting,
	setIncidentWindowHours,
	setProductionEnvironments,
	settingsInput,
} from "../catalog/settings";
import { factory } from "../factory";
import { formatOptionalDatetime } from "../http/datetime";
import { errors, isoTime, json, jsonBody } from "../http/openapi";
import { readJson, validate } from "../http/validation";

const settingsSchema = z
	.object({
		production_environments: z
			.array(z.string())
			.describe("Environment keys (trimmed, lower-cased) that count as production; default production, prod"),
		updated_at: isoTime.nullable().describe("When they were last changed; null while they are the default"),
	})
	.meta({ id: "Settings" });

const present = (setting: ProductionSetting) => ({
	production_environments: setting.environments,
	updated_at: formatOptionalDatetime(setting.updatedAt),
});

const incidentWindowSchema = z
	.object({
		incident_window_hours: z
			.number()
			.int()
			.describe(
				`How far before an incident its service's latest deploy is blamed, when it names none; default ${DEFAULT_INCIDENT_WINDOW_HOURS}`,
			),
	})
	.meta({ id: "IncidentWindow" });

const tags = ["Settings"];

/** The team's settings: everyone reads them, admins change them. */
export const settingsApi = factory
	.createApp()
	.get(
		"/",
		allow("viewer"),
		describeRoute({
			tags,
			summary: "The settings: which environments count as production",
			responses: { 200: json("The settings", settingsSchema), ...errors(401, 403) },
		}),
		async (c) => c.json(present(await productionSetting(c.var.db))),
	)
	.put(
		"/",
		allow("admin"),
		describeRoute({
			tags,
			summary: `Change which environments count as production (1 to ${MAX_PRODUCTION_ENVIRONMENTS} names, any letter case)`,
			requestBody: jsonBody(settingsInput),
			responses: { 200: json("The settings", settingsSchema), ...errors(400, 401, 403) },
		}),
		async (c) => {
			const input = validate(settingsInput, await readJson(c));
			return c.json(present(await setProductionEnvironments(c.var.db, input.production_environments, c.var.actor)));
		},
	)
	.get(
		"/incident_window",
		allow("viewer"),
		describeRoute({
			tags,
			summary: "The incident attribution window, in hours",
			responses: { 200: json("The window", incidentWindowSchema), ...errors(401, 403) },
		}),
		async (c) => c.json({ incident_window_hours: await incidentWindowHours(c.var.db) }),
	)
	.put(
		"/incident_window",
		allow("admin"),
		describeRoute({
			tags,
			summary: `Change the incident attribution window (1 to ${MAX_INCIDENT_WINDOW_HOURS} whole hours)`,
			requestBody: jsonBody(incidentWindowInput),
			responses: { 200: json("The window", incidentWindowSchema), ...errors(400, 401, 403) },
		}),
		async (c) => {
			const input = validate(incidentWindowInput, await readJson(c));
			const hours = await setIncidentWindowHours(c.var.db, input.incident_window_hours, c.var.actor);
			return c.json({ incident_window_hours: hours });
		},
	);
