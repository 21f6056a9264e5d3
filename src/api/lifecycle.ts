import { describeRoute } from "hono-openapi";
import { allow } from "../access/guard";
import { archiveService, deleteQuery, deleteService, mergeInput, mergeService } from "../catalog/lifecycle";
import { factory } from "../factory";
import { errors, json, jsonBody, validated } from "../http/openapi";
import { readJson, validate } from "../http/validation";
import { presentService, serviceSchema } from "./services";

const tags = ["Services"];

/** Archive and unarchive: the same route but for which way it goes. */
const archiveRoute = (archived: boolean) =>
	factory.createHandlers(
		allow("editor"),
		describeRoute({
			tags,
			summary: archived ? "Archive a service: hide it from lists" : "Bring an archived service back into lists",
			description: archived
				? "Deploys under its aliases are still recorded, matched and shown; the service is left out of `GET /api/services` unless `archived` asks for it. Archiving an archived service changes nothing."
				: "Unarchiving a service that is not archived changes nothing.",
			responses: { 200: json("The service", serviceSchema), ...errors(401, 403, 404, 409) },
		}),
		async (c) => c.json(presentService(await archiveService(c.var.db, c.req.param("id") ?? "", archived, c.var.actor))),
	);

/** Merging, archiving and deleting services (their reads: see `servicesApi`). */
export const lifecycleApi = factory
	.createApp()
	.post(
		"/:id/merge",
		allow("editor"),
		describeRoute({
			tags,
			summary: "Merge this service into another",
			description:
				"Its aliases, deploys and resolved suggestions become the other service's in one step; from the moment this answers, deploys under its aliases match the other service, whose numbering carries on past both services' highest numbers. This service stays as a tombstone: reading it redirects to the service it went into (and on, should that one be merged later); it is never listed and cannot be changed. Merging into itself is a `400`; into an archived or merged service, or a change to either service or one of these aliases at the same moment, a `409`.",
			requestBody: jsonBody(mergeInput),
			responses: {
				200: json("The service that took this one in", serviceSchema),
				...errors(400, 401, 403, 404, 409),
			},
		}),
		async (c) => {
			const input = validate(mergeInput, await readJson(c));
			return c.json(presentService(await mergeService(c.var.db, c.req.param("id"), input, c.var.actor)));
		},
	)
	.post("/:id/archive", ...archiveRoute(true))
	.post("/:id/unarchive", ...archiveRoute(false))
	.delete(
		"/:id",
		allow("editor"),
		describeRoute({
			tags,
			summary: "Delete a service",
			description:
				"Its aliases are freed: a deploy sent under one later matches no service and suggests the alias again. A service with deploys is a `409` unless `purge_deploys=true` confirms that its deploys and their status history go too; a deploy that lands while a delete without it runs also makes it a `409`, with nothing deleted.",
			responses: { 204: { description: "Deleted" }, ...errors(400, 401, 403, 404, 409) },
		}),
		validated("query", deleteQuery),
		async (c) => {
			const purge = c.req.valid("query").purge_deploys === "true";
			await deleteService(c.var.db, c.req.param("id"), purge, c.var.actor);
			return c.body(null, 204);
		},
	);
