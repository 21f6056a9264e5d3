import { describeRoute } from "hono-openapi";
import { z } from "zod";
import { allow } from "../access/guard";
import { createTeam, deleteTeam, loadTeam, teamChange, teamInput, updateTeam } from "../catalog/teams";
import { findTeams, type Team } from "../db/teams";
import { factory } from "../factory";
import { formatDatetime } from "../http/datetime";
import { errors, isoTime, json, jsonBody } from "../http/openapi";
import { readJson, validate } from "../http/validation";

const present = (team: Team) => ({
	id: team.id,
	name: team.name,
	members: team.members,
	services: team.services,
	created_at: formatDatetime(team.createdAt),
});

const teamSchema = z
	.object({
		id: z.string(),
		name: z.string(),
		members: z.array(z.string()).describe("Emails, trimmed and lower-cased"),
		services: z.array(z.object({ id: z.string(), name: z.string() })).describe("The services it owns, by name"),
		created_at: isoTime,
	})
	.meta({ id: "Team" });

const tags = ["Teams"];

/** Teams that own services: everyone reads them, editors change them (as they do services). */
export const teamsApi = factory
	.createApp()
	.post(
		"/",
		allow("editor"),
		describeRoute({
			tags,
			summary: "Create a team; its name is unique ignoring letter case",
			requestBody: jsonBody(teamInput),
			responses: { 201: json("The team", teamSchema), ...errors(400, 401, 403, 409) },
		}),
		async (c) => {
			const team = await createTeam(c.var.db, validate(teamInput, await readJson(c)), c.var.actor);
			return c.json(present(team), 201);
		},
	)
	.get(
		"/",
		allow("viewer"),
		describeRoute({
			tags,
			summary: "List teams with their members and services",
			responses: { 200: json("Teams", z.object({ teams: z.array(teamSchema) })), ...errors(401) },
		}),
		async (c) => c.json({ teams: (await findTeams(c.var.db)).map(present) }),
	)
	.get(
		"/:id",
		allow("viewer"),
		describeRoute({
			tags,
			summary: "One team; its DORA figures are `GET /api/metrics?team=` with its id",
			responses: { 200: json("The team", teamSchema), ...errors(401, 404) },
		}),
		async (c) => c.json(present(await loadTeam(c.var.db, c.req.param("id")))),
	)
	.patch(
		"/:id",
		allow("editor"),
		describeRoute({
			tags,
			summary: "Rename a team or replace its members",
			requestBody: jsonBody(teamChange),
			responses: { 200: json("The team", teamSchema), ...errors(400, 401, 403, 404, 409) },
		}),
		async (c) => {
			const change = validate(teamChange, await readJson(c));
			return c.json(present(await updateTeam(c.var.db, c.req.param("id"), change, c.var.actor)));
		},
	)
	.delete(
		"/:id",
		allow("editor"),
		describeRoute({
			tags,
			summary: "Delete a team; the services it owned stay, unowned",
			responses: { 204: { description: "Deleted" }, ...errors(401, 403, 404) },
		}),
		async (c) => {
			await deleteTeam(c.var.db, c.req.param("id"), c.var.actor);
			return c.body(null, 204);
		},
	);
