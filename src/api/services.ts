import { describeRoute } from "hono-openapi";
import { z } from "zod";
import { allow } from "../access/guard";
import { moveAlias, moveInput, removeAlias } from "../catalog/aliases";
import {
	addAlias,
	createService,
	newAlias,
	readService,
	rename,
	renameService,
	serviceInput,
} from "../catalog/services";
import { ownerInput, setServiceTeam } from "../catalog/teams";
import { ARCHIVED_CHOICES, findServices, type Service } from "../db/catalog";
import { currentDeploys } from "../db/environments";
import { deploySchema, presentDeploy } from "../deploys/present";
import { deployFilters, teamFilter } from "../deploys/query";
import { type AppContext, factory } from "../factory";
import { formatDatetime } from "../http/datetime";
import { errors, isoTime, json, jsonBody, validated } from "../http/openapi";
import { object, oneOf, optional, readJson, validate } from "../http/validation";

export function presentService(service: Service) {
	return {
		id: service.id,
		name: service.name,
		aliases: service.aliases,
		team: service.team,
		created_at: formatDatetime(service.createdAt),
		archived_at: service.archivedAt === null ? null : formatDatetime(service.archivedAt),
	};
}

export const serviceSchema = z
	.object({
		id: z.string(),
		name: z.string(),
		aliases: z.array(z.string()),
		team: z.object({ id: z.string(), name: z.string() }).nullable().describe("The team that owns it; null for none"),
		created_at: isoTime,
		archived_at: isoTime.nullable().describe("When the service was archived; null while it is not"),
	})
	.meta({ id: "Service" });

const listQuery = object({
	team: deployFilters.team,
	archived: optional(oneOf(ARCHIVED_CHOICES)).describe(
		"Archived services: left out (`exclude`, the default), listed too (`include`), or alone (`only`)",
	),
});

/** Where a merged service's reads lead: the same path under the service it went into. */
const mergedAway = {
	301: { description: "The service was merged into another; `Location` is the same request about that one" },
};

/** The service `id` names, or the redirect to the one it was merged into. */
async function shownService(c: AppContext, suffix = "") {
	const service = await readService(c.var.db, c.req.param("id") ?? "");
	if (service.mergedInto) return { redirect: c.redirect(`/api/services/${service.mergedInto}${suffix}`, 301) };
	return { service };
}

const environmentsSchema = z.object({
	service: z.object({ id: z.string(), name: z.string() }),
	environments: z.array(
		z.object({
			environment: z
				.string()
				.nullable()
				.describe("The spelling of the environment's latest deploy; null for deploys sent without one"),
			live_since: isoTime.nullable().describe("When the live deploy was deployed; null if no deploy runs there"),
			live_for_seconds: z.number().int().nullable(),
			deploy: deploySchema.nullable().describe("What runs there: the latest deploy that succeeded or sent no status"),
			attempt: z
				.object({ deploy: deploySchema, age_seconds: z.number().int() })
				.nullable()
				.describe("A newer deploy that failed, was canceled, or is queued or running; null if none"),
		}),
	),
});

/** Whole seconds from `ms` to `now`, never negative (a deployed_at may lie in the future). */
const secondsSince = (ms: number, now: number) => Math.max(0, Math.floor((now - ms) / 1000));

const tags = ["Services"];

export const servicesApi = factory
	.createApp()
	.post(
		"/",
		allow("editor"),
		describeRoute({
			tags,
			summary: "Create a service and give it aliases",
			requestBody: jsonBody(serviceInput),
			responses: { 201: json("The service", serviceSchema), ...errors(400, 401, 403, 409) },
		}),
		async (c) => {
			const service = await createService(c.var.db, validate(serviceInput, await readJson(c)), c.var.actor);
			return c.json(presentService(service), 201);
		},
	)
	.get(
		"/",
		allow("viewer"),
		describeRoute({
			tags,
			summary: "List services with their aliases, all or a team's (`team=` its id)",
			description: "Merged services are never listed; archived ones only when asked (`archived`).",
			responses: { 200: json("Services", z.object({ services: z.array(serviceSchema) })), ...errors(400, 401, 404) },
		}),
		validated("query", listQuery),
		async (c) => {
			const { team, archived } = c.req.valid("query");
			const { teamId } = await teamFilter(c.var.db, team);
			const services = await findServices(c.var.db, { teamId, archived });
			return c.json({ services: services.map(presentService) });
		},
	)
	.get(
		"/:id",
		allow("viewer"),
		describeRoute({
			tags,
			summary: "One service",
			description: "A merged service redirects (`301`) to the service it was merged into.",
			responses: { 200: json("The service", serviceSchema), ...mergedAway, ...errors(401, 404) },
		}),
		async (c) => {
			const shown = await shownService(c);
			return shown.redirect ?? c.json(presentService(shown.service));
		},
	)
	.patch(
		"/:id",
		allow("editor"),
		describeRoute({
			tags,
			summary: "Rename a service; its aliases stay",
			requestBody: jsonBody(rename),
			responses: { 200: json("The service", serviceSchema), ...errors(400, 401, 403, 404, 409) },
		}),
		async (c) => {
			const { name } = validate(rename, await readJson(c));
			return c.json(presentService(await renameService(c.var.db, c.req.param("id"), name, c.var.actor)));
		},
	)
	.put(
		"/:id/team",
		allow("editor"),
		describeRoute({
			tags,
			summary: "Give a service to a team, or to none",
			description:
				"A service has at most one team. `team_id` null leaves it unowned. A missing service or team is a `404`.",
			requestBody: jsonBody(ownerInput),
			responses: { 200: json("The service", serviceSchema), ...errors(400, 401, 403, 404) },
		}),
		async (c) => {
			const { team_id } = validate(ownerInput, await readJson(c));
			return c.json(presentService(await setServiceTeam(c.var.db, c.req.param("id"), team_id, c.var.actor)));
		},
	)
	.get(
		"/:id/environments",
		allow("viewer"),
		describeRoute({
			tags,
			summary: "What runs where: the live deploy in each environment, and any newer attempt",
			responses: { 200: json("Environments", environmentsSchema), ...mergedAway, ...errors(401, 404) },
		}),
		async (c) => {
			const db = c.var.db;
			const shown = await shownService(c, "/environments");
			if (shown.redirect) return shown.redirect;
			const { service } = shown;
			const rows = await currentDeploys(db, service.id);
			const now = Date.now();
			return c.json({
				service: { id: service.id, name: service.name },
				environments: rows.map(({ environment, live, attempt }) => ({
					environment,
					live_since: live && formatDatetime(live.deploy.deployedAt),
					live_for_seconds: live && secondsSince(live.deploy.deployedAt, now),
					deploy: live && presentDeploy(live),
					attempt: attempt && {
						deploy: presentDeploy(attempt),
						age_seconds: secondsSince(attempt.deploy.deployedAt, now),
					},
				})),
			});
		},
	)
	.post(
		"/:id/aliases",
		allow("editor"),
		describeRoute({
			tags,
			summary: "Give a service another alias; earlier deploys under it join the service",
			requestBody: jsonBody(newAlias),
			responses: {
				200: json("The service already had the alias", serviceSchema),
				201: json("The service", serviceSchema),
				...errors(400, 401, 403, 404, 409),
			},
		}),
		async (c) => {
			const { alias } = validate(newAlias, await readJson(c));
			const { service, added } = await addAlias(c.var.db, c.req.param("id"), alias, c.var.actor);
			return c.json(presentService(service), added ? 201 : 200);
		},
	)
	.delete(
		"/:id/aliases/:alias",
		allow("editor"),
		describeRoute({
			tags,
			summary: "Take an alias from a service",
			description:
				"Deploys already recorded under the alias stay with the service. The next deploy under it matches no service (`no_service_found`) and suggests the alias again; its number carries on from the alias's. Another change to the alias at the same moment is a `409`.",
			responses: { 200: json("The service, without the alias", serviceSchema), ...errors(401, 403, 404, 409) },
		}),
		async (c) => {
			const { id, alias } = c.req.param();
			return c.json(presentService(await removeAlias(c.var.db, id, alias, c.var.actor)));
		},
	)
	.post(
		"/:id/aliases/:alias/move",
		allow("editor"),
		describeRoute({
			tags,
			summary: "Move an alias to another service, with its past deploys or without",
			description:
				"From the moment this answers, every deploy under the alias matches the new service, in every integration. With `with_deploys` (the default), the deploys this service holds under the alias go too; without, they stay. The new service's numbering carries on past the alias's highest number. A missing service or alias is a `404`; another change to the alias at the same moment is a `409`.",
			requestBody: jsonBody(moveInput),
			responses: { 200: json("The service that took the alias", serviceSchema), ...errors(400, 401, 403, 404, 409) },
		}),
		async (c) => {
			const { id, alias } = c.req.param();
			const input = validate(moveInput, await readJson(c));
			return c.json(presentService(await moveAlias(c.var.db, id, alias, input, c.var.actor)));
		},
	);
