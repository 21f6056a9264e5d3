import { and, eq, isNull } from "drizzle-orm";
import type { Database } from "./client";
import { integrations } from "./schema";

/** The live integration whose webhook URL carries `token`, if any. */
export function integrationByWebhookToken(db: Database, token: string) {
	return db
		.select({ id: integrations.id })
		.from(integrations)
		.where(and(eq(integrations.webhookToken, token), isNull(integrations.revokedAt)))
		.get();
}
