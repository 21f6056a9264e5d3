import { z } from "zod";
import { forgetWebhookToken } from "../db/integrations";
import { ApiError } from "../http/errors";
import type { RecordOutcome } from "../ledger/ledger";

// The webhook's answers that a real request and a dry run share.

/** Every answer's `result`, as OpsLevel's contract names them. */
export const results = z.enum(["ok", "no_service_found", "duplicate_deploy"]);

/** The `no_service_found` answer's message, for a deploy recorded under `alias` as a suggestion. */
export const recordedAsSuggestion = (alias: string) =>
	`No service found matching alias '${alias}'. Recording '${alias}' as a suggestion.`;

export const unknownIntegration = () =>
	ApiError.of(
		404,
		"Integration Error",
		"no active integration has this webhook URL; it may have been revoked or rotated",
	);

/** The error for a request the ledger refused, dry run or not; undefined when it was not refused. */
export function refusal(outcome: RecordOutcome, retryAfter: number | undefined, token: string): ApiError | undefined {
	switch (outcome) {
		case "revoked":
		case "expired":
			forgetWebhookToken(token);
			return unknownIntegration();
		case "limited":
			return ApiError.of(
				429,
				"Rate Limit Error",
				`this integration is sending deploys faster than it may; retry after ${retryAfter} s`,
				{ "Retry-After": String(retryAfter) },
			);
		default:
			return undefined;
	}
}
