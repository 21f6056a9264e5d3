import { z } from "zod";
import { findService } from "../db/catalog";
import type { AppEnv } from "../env";
import { ledgerFor } from "../ledger/stub";
import type { DeployRequest } from "../model/entry";
import { refusal, results } from "./answers";

// `?dry_run=1` and the integration page's "Send a test deploy": what a deploy
// would do, with nothing recorded. Apart from the route, so the UI can run it.

export const dryRunAnswer = z
	.object({
		result: results,
		dry_run: z.literal(true),
		service: z
			.object({ id: z.string(), name: z.string() })
			.optional()
			.meta({ description: "With `ok`: the service the deploy would be recorded for" }),
		message: z.string().optional(),
	})
	.meta({
		examples: [
			{ result: "ok", dry_run: true, service: { id: "0193…", name: "Shopping cart" } },
			{
				result: "no_service_found",
				dry_run: true,
				message: "No service found matching alias 'X'. A deploy would record 'X' as a suggestion.",
			},
		],
	});

export type DryRunAnswer = z.infer<typeof dryRunAnswer>;

/** What a dry run needs of a request's context: the bindings, D1 and the meter. */
type WithLedger = { env: AppEnv["Bindings"]; var: Pick<AppEnv["Variables"], "db" | "meter"> };

/**
 * What the webhook would answer `request`, sent to the URL carrying `token`, with
 * nothing recorded: the ledger runs the same checks (revocation, a rotated URL's
 * expiry, the rate limit, dedup) and writes nothing. The integration page's
 * "Send a test deploy" runs it too. Throws the error a real request would get.
 */
export async function dryRun(c: WithLedger, request: DeployRequest, token: string): Promise<DryRunAnswer> {
	const ledger = ledgerFor(c.env.LEDGER, request.integrationId);
	const { outcome, serviceId, retryAfter, cost } = await ledger.check(request, token);
	c.var.meter.add({ ...cost, doRequests: cost.doRequests + 1 });
	const refused = refusal(outcome, retryAfter, token);
	if (refused) throw refused;
	if (outcome === "duplicate") {
		return {
			result: "duplicate_deploy",
			dry_run: true,
			message: "A deploy would not be created: this integration has a deploy with an identical dedup_id",
		};
	}
	const service = serviceId ? await findService(c.var.db, serviceId) : undefined;
	if (service) return { result: "ok", dry_run: true, service: { id: service.id, name: service.name } };
	const alias = request.payload.service;
	return {
		result: "no_service_found",
		dry_run: true,
		message: `No service found matching alias '${alias}'. A deploy would record '${alias}' as a suggestion.`,
	};
}
