import { describeRoute } from "hono-openapi";
import { z } from "zod";
import { allow } from "../access/guard";
import {
	MAX_PRODUCTION_ENVIRONMENTS,
	type ProductionSetting,
	productionSetting,
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
	);
