import type { Actor } from "../audit/actor";
import { type AuditTarget, audited } from "../audit/log";
import { findService, serviceByName } from "../db/catalog";
import type { Database } from "../db/client";
import {
	acceptSuggestion,
	attachSuggestion,
	findSuggestion,
	type Suggestion,
	type SuggestionState,
	setSuggestionIgnored,
} from "../db/suggestions";
import { ApiError, orConflict } from "../http/errors";
import { MAX_ID, MAX_NAME, object, oneOf, optional, optionalText, requiredText } from "../http/validation";

/** Which suggestions a list shows: the API's query and the UI's tabs alike. */
export const listQuery = object({
	state: optional(oneOf(["open", "ignored"])),
});
export const acceptInput = optional(object({ name: optionalText({ max: MAX_NAME }) }));
export const attachInput = object({ service_id: requiredText({ max: MAX_ID }) });

const target = (id: string): AuditTarget => ({ type: "suggestion", id });

// What can be done with a suggestion, shared by the API and the UI. Each action
// names the states it may start from; losing a race to another action (or to a
// taken name or alias) is a 409.

const conflict = (detail: string) => ApiError.of(409, "Suggestion Error", detail);

const settle = <T>(write: Promise<T>) =>
	orConflict(write, conflict("another change to this suggestion, its alias or the service name came first"));

/** The suggestion, if an action from `from` states may still be taken on it. */
async function actionable(db: Database, id: string, from: SuggestionState[]): Promise<Suggestion> {
	const suggestion = await findSuggestion(db, id);
	if (!suggestion) throw ApiError.of(404, "Suggestion Error", `no suggestion with id '${id}'`);
	if (!from.includes(suggestion.state)) throw conflict(`the suggestion is ${suggestion.state}`);
	return suggestion;
}

/** A new service (named after the alias unless `name` is given) owns the alias. Answers the service's id. */
export async function accept(db: Database, id: string, actor: Actor, name?: string): Promise<string> {
	const suggestion = await actionable(db, id, ["open", "ignored"]);
	const serviceName = name ?? suggestion.alias;
	if (await serviceByName(db, serviceName)) {
		throw ApiError.of(
			409,
			"Name Error",
			`a service named '${serviceName}' already exists; attach the alias to it instead`,
		);
	}
	const audit = audited(db, actor, "suggestion.accept", target(id), { name: serviceName });
	return settle(acceptSuggestion(db, suggestion, serviceName, [audit]));
}

/** The alias joins an existing service. */
export async function attach(db: Database, id: string, serviceId: string, actor: Actor): Promise<void> {
	// Independent lookups, one round trip; the suggestion's own refusal still comes first.
	const [suggestion, service] = await Promise.all([
		actionable(db, id, ["open", "ignored"]),
		findService(db, serviceId),
	]);
	if (!service) {
		throw ApiError.of(404, "Service id Error", `no service with id '${serviceId}'`);
	}
	if (service.mergedInto) {
		throw ApiError.of(
			409,
			"Service id Error",
			`service '${service.name}' was merged into service '${service.mergedInto}'`,
		);
	}
	const audit = audited(db, actor, "suggestion.attach", target(id), { service_id: serviceId });
	await settle(attachSuggestion(db, suggestion, serviceId, [audit]));
}

/** Ignore (from open) or un-ignore (from ignored): deploys keep being recorded either way. */
export async function setIgnored(db: Database, id: string, ignored: boolean, actor: Actor): Promise<void> {
	const suggestion = await actionable(db, id, [ignored ? "open" : "ignored"]);
	const audit = audited(db, actor, ignored ? "suggestion.ignore" : "suggestion.unignore", target(id));
	await settle(setSuggestionIgnored(db, suggestion, ignored, [audit]));
}
