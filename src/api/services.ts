import { Hono } from "hono";
import { describeRoute } from "hono-openapi";
import { z } from "zod";
import {
	aliasKey,
	aliasOwners,
	claimAliases,
	findService,
	findServices,
	newService,
	type Service,
	serviceByName,
} from "../db/catalog";
import type { Database } from "../db/client";
import { currentDeploys } from "../db/deploys";
import type { AppEnv } from "../env";
import { formatDatetime } from "../http/datetime";
import { ApiError, orConflict } from "../http/errors";
import { errors, isoTime, json, jsonBody } from "../http/openapi";
import { object, optional, readJson, requiredText, validate } from "../http/validation";
import { deploySchema, presentDeploy } from "./deploys";

const alias = requiredText({ max: 255 });

const serviceInput = object({
	name: requiredText({ max: 255 }),
	// Without aliases, a service answers to its own name.
	aliases: optional(z.array(alias, { error: "param must be an array of strings" }).max(50)),
});

const newAlias = object({ alias });

export function presentService(service: Service) {
	return {
		id: service.id,
		name: service.name,
		aliases: service.aliases,
		created_at: formatDatetime(service.createdAt),
	};
}

export const serviceSchema = z
	.object({ id: z.string(), name: z.string(), aliases: z.array(z.string()), created_at: isoTime })
	.meta({ id: "Service" });

const environmentsSchema = z.object({
	service: z.object({ id: z.string(), name: z.string() }),
	environments: z.array(
		z.object({
			environment: z.string().nullable(),
			live_since: isoTime,
			live_for_seconds: z.number().int(),
			deploy: deploySchema,
		}),
	),
});

const tags = ["Services"];

const conflict = (detail: string) => ApiError.of(409, "Alias Error", detail);

/** Refuses aliases that another service owns (its own are fine: claiming twice is a no-op). */
async function unclaimed(db: Database, names: string[], serviceId?: string): Promise<string[]> {
	const owned = await aliasOwners(db, names);
	const taken = owned.find((o) => o.serviceId !== serviceId);
	if (taken) throw conflict(`alias '${taken.alias}' already belongs to service '${taken.serviceName}'`);
	const mine = new Set(owned.map((o) => aliasKey(o.alias)));
	const unique = new Map(names.map((n) => [aliasKey(n), n]));
	return [...unique].filter(([key]) => !mine.has(key)).map(([, name]) => name);
}

async function loaded(db: Database, id: string): Promise<Service> {
	const service = await findService(db, id);
	if (!service) throw ApiError.of(404, "Service Error", `no service with id '${id}'`);
	return service;
}

export const servicesApi = new Hono<AppEnv>()
	.post(
		"/",
		describeRoute({
			tags,
			summary: "Create a service and give it aliases",
			requestBody: jsonBody(serviceInput),
			responses: { 201: json("The service", serviceSchema), ...errors(400, 401, 409) },
		}),
		async (c) => {
			const input = validate(serviceInput, await readJson(c));
			const db = c.var.db;
			if (await serviceByName(db, input.name)) {
				throw ApiError.of(409, "Name Error", `a service named '${input.name}' already exists`);
			}
			const names = await unclaimed(db, input.aliases ?? [input.name]);
			const { id, statements } = newService(db, input.name, names, Date.now());
			await orConflict(db.batch(statements), conflict("the service name or one of its aliases was taken meanwhile"));
			return c.json(presentService(await loaded(db, id)), 201);
		},
	)
	.get(
		"/",
		describeRoute({
			tags,
			summary: "List services with their aliases",
			responses: { 200: json("Services", z.object({ services: z.array(serviceSchema) })), ...errors(401) },
		}),
		async (c) => {
			const services = await findServices(c.var.db);
			return c.json({ services: services.map(presentService) });
		},
	)
	.get(
		"/:id",
		describeRoute({
			tags,
			summary: "One service",
			responses: { 200: json("The service", serviceSchema), ...errors(401, 404) },
		}),
		async (c) => {
			return c.json(presentService(await loaded(c.var.db, c.req.param("id"))));
		},
	)
	.get(
		"/:id/environments",
		describeRoute({
			tags,
			summary: "What runs where: the current deploy in each environment",
			responses: { 200: json("Environments", environmentsSchema), ...errors(401, 404) },
		}),
		async (c) => {
			const db = c.var.db;
			const service = await loaded(db, c.req.param("id"));
			const rows = await currentDeploys(db, service.id);
			const now = Date.now();
			return c.json({
				service: { id: service.id, name: service.name },
				environments: rows.map((row) => ({
					environment: row.deploy.environment,
					live_since: formatDatetime(row.deploy.deployedAt),
					live_for_seconds: Math.max(0, Math.floor((now - row.deploy.deployedAt) / 1000)),
					deploy: presentDeploy(row),
				})),
			});
		},
	)
	.post(
		"/:id/aliases",
		describeRoute({
			tags,
			summary: "Give a service another alias; earlier deploys under it join the service",
			requestBody: jsonBody(newAlias),
			responses: {
				200: json("The service already had the alias", serviceSchema),
				201: json("The service", serviceSchema),
				...errors(400, 401, 404, 409),
			},
		}),
		async (c) => {
			const input = validate(newAlias, await readJson(c));
			const db = c.var.db;
			const service = await loaded(db, c.req.param("id"));
			const [fresh] = await unclaimed(db, [input.alias], service.id);
			if (fresh === undefined) return c.json(presentService(service), 200);
			await orConflict(
				db.batch(claimAliases(db, service.id, [fresh], Date.now())),
				conflict(`alias '${fresh}' was claimed meanwhile`),
			);
			return c.json(presentService(await loaded(db, service.id)), 201);
		},
	);
