import { describeRoute } from "hono-openapi";
import { z } from "zod";
import { allow } from "../access/guard";
import { findSubscriptions, recentDeliveries } from "../db/notifications";
import { DELIVERY_STATES, DESTINATION_KINDS } from "../db/notifications-schema";
import { factory } from "../factory";
import { errors, isoTime, json, jsonBody } from "../http/openapi";
import { readJson, validate } from "../http/validation";
import { NOTIFICATION_EVENTS } from "../model/notification";
import { presentDelivery, presentSubscription } from "../notifications/present";
import {
	createSubscription,
	DELIVERY_LOG_SIZE,
	deleteSubscription,
	hereOf,
	loadSubscription,
	redeliver,
	rotateSecret,
	subscriptionInput,
} from "../notifications/subscriptions";

const subscriptionSchema = z
	.object({
		id: z.string(),
		name: z.string(),
		kind: z.enum(DESTINATION_KINDS),
		destination: z.string().describe("Where it sends; a Slack webhook's secret part is masked"),
		service_id: z.string().nullable(),
		team_id: z.string().nullable(),
		environment: z.string().nullable().describe("An environment key (lower-cased)"),
		events: z.array(z.enum(NOTIFICATION_EVENTS)),
		previous_secret_expires_at: isoTime
			.nullable()
			.describe("After a rotation, until when the old secret still signs beside the new one"),
		created_at: isoTime,
	})
	.meta({ id: "Subscription" });

const withSecret = subscriptionSchema
	.extend({
		secret: z
			.string()
			.nullable()
			.describe("The Standard Webhooks signing secret (`whsec_…`), shown this once; null for Slack"),
	})
	.meta({ id: "SubscriptionWithSecret" });

const deliverySchema = z
	.object({
		id: z.string().describe("The `webhook-id`: the same on every attempt and redelivery"),
		event: z.enum(NOTIFICATION_EVENTS),
		deploy_id: z.string(),
		state: z.enum(DELIVERY_STATES),
		attempts: z.number().int(),
		response_status: z.number().int().nullable(),
		last_error: z.string().nullable(),
		created_at: isoTime,
		updated_at: isoTime,
	})
	.meta({ id: "Delivery" });

const tags = ["Notifications"];

/** Subscriptions to deploy events: everyone reads them, editors change them. */
export const notificationsApi = factory
	.createApp()
	.post(
		"/",
		allow("editor"),
		describeRoute({
			tags,
			summary: "Subscribe a Slack incoming webhook or an HTTPS endpoint to deploy events",
			requestBody: jsonBody(subscriptionInput),
			responses: { 201: json("The subscription, with its secret", withSecret), ...errors(400, 401, 403, 404) },
		}),
		async (c) => {
			const row = await createSubscription(
				c.var.db,
				validate(subscriptionInput, await readJson(c)),
				hereOf(c.req.url, c.env),
				c.var.actor,
			);
			return c.json({ ...presentSubscription(row), secret: row.secret }, 201);
		},
	)
	.get(
		"/",
		allow("viewer"),
		describeRoute({
			tags,
			summary: "List subscriptions",
			responses: {
				200: json("Subscriptions", z.object({ subscriptions: z.array(subscriptionSchema) })),
				...errors(401),
			},
		}),
		async (c) => c.json({ subscriptions: (await findSubscriptions(c.var.db)).map(presentSubscription) }),
	)
	.get(
		"/:id",
		allow("viewer"),
		describeRoute({
			tags,
			summary: "One subscription (never its secret)",
			responses: { 200: json("The subscription", subscriptionSchema), ...errors(401, 404) },
		}),
		async (c) => c.json(presentSubscription(await loadSubscription(c.var.db, c.req.param("id")))),
	)
	.delete(
		"/:id",
		allow("editor"),
		describeRoute({
			tags,
			summary: "Delete a subscription and its delivery log",
			responses: { 204: { description: "Deleted" }, ...errors(401, 403, 404) },
		}),
		async (c) => {
			await deleteSubscription(c.var.db, c.req.param("id"), c.var.actor);
			return c.body(null, 204);
		},
	)
	.post(
		"/:id/secret",
		allow("editor"),
		describeRoute({
			tags,
			summary: "Rotate the signing secret; the old one signs beside it for 24 hours",
			responses: { 200: json("The subscription, with its new secret", withSecret), ...errors(401, 403, 404, 409) },
		}),
		async (c) => {
			const row = await rotateSecret(c.var.db, c.req.param("id"), c.var.actor);
			return c.json({ ...presentSubscription(row), secret: row.secret });
		},
	)
	.get(
		"/:id/deliveries",
		allow("viewer"),
		describeRoute({
			tags,
			summary: `The subscription's latest ${DELIVERY_LOG_SIZE} deliveries, newest first`,
			responses: { 200: json("Deliveries", z.object({ deliveries: z.array(deliverySchema) })), ...errors(401, 404) },
		}),
		async (c) => {
			const subscription = await loadSubscription(c.var.db, c.req.param("id"));
			const rows = await recentDeliveries(c.var.db, subscription.id, DELIVERY_LOG_SIZE);
			return c.json({ deliveries: rows.map(presentDelivery) });
		},
	)
	.post(
		"/:id/deliveries/:delivery/redeliver",
		allow("editor"),
		describeRoute({
			tags,
			summary: "Send a delivery again, under the same webhook-id",
			responses: { 202: json("The delivery, pending", deliverySchema), ...errors(401, 403, 404) },
		}),
		async (c) => {
			const { id, delivery } = c.req.param();
			const row = await redeliver(c.var.db, c.env.NOTIFICATIONS, id, delivery, c.var.actor);
			return c.json(presentDelivery(row), 202);
		},
	);
