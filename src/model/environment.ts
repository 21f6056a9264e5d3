// Vocabulary: what makes two environments one, and which is production.

/**
 * What environments are compared by: `Production`, `production ` and
 * `PRODUCTION` are one environment. Letter case is folded as for aliases.
 */
export function environmentKey(environment: string): string {
	return environment.trim().toLowerCase();
}

/** The environment keys that count as production until the team says otherwise (see catalog/settings.ts). */
export const PRODUCTION: readonly string[] = ["production", "prod"];
