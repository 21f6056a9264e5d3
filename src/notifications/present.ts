import type { DeliveryRow, SubscriptionRow } from "../db/notifications-schema";
import { formatDatetime } from "../http/datetime";
import type { NotificationEvent } from "../model/notification";
import { shownDestination } from "./destination";

/** A subscription as the API and the pages show it: never a secret, a Slack URL masked. */
export function presentSubscription(row: SubscriptionRow) {
	return {
		id: row.id,
		name: row.name,
		kind: row.kind,
		destination: shownDestination(row.kind, row.url),
		service_id: row.serviceId,
		team_id: row.teamId,
		environment: row.environment,
		events: JSON.parse(row.events) as NotificationEvent[],
		previous_secret_expires_at:
			row.previousSecretExpiresAt === null || row.previousSecretExpiresAt <= Date.now()
				? null
				: formatDatetime(row.previousSecretExpiresAt),
		created_at: formatDatetime(row.createdAt),
	};
}

export function presentDelivery(row: DeliveryRow) {
	return {
		id: row.id,
		event: row.event,
		deploy_id: row.deployId,
		state: row.state,
		attempts: row.attempts,
		response_status: row.responseStatus,
		last_error: row.lastError,
		created_at: formatDatetime(row.createdAt),
		updated_at: formatDatetime(row.updatedAt),
	};
}
