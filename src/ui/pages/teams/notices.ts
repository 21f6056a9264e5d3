/** What a redirect after a change may ask a team's page to confirm (see `doneNotice`). */
export const NOTICES = {
	created: "The team was created. Give it services from each service's Edit page.",
	updated: "The team was saved.",
} as const;

/** What the teams list may confirm. */
export const LIST_NOTICES = { deleted: "The team was deleted; the services it owned have no team now." } as const;

export const teamPath = (id: string, notice?: keyof typeof NOTICES) => `/teams/${id}${notice ? `?done=${notice}` : ""}`;
