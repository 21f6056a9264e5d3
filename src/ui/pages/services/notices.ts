/** What a redirect after a change may ask the service page to confirm (see `doneNotice`). */
export const NOTICES = {
	created: "The service was created.",
	renamed: "The service was renamed; its aliases stay as they were.",
	"alias-added": "The alias was added: deploys under it, earlier ones too, now belong to this service.",
	"alias-kept": "The service already had that alias.",
	"alias-removed": "The alias was removed: its past deploys stay here; new deploys under it match no service.",
	"alias-moved": "The alias was moved here: new deploys under it belong to this service.",
	"team-changed": "The service's team was changed: its deploys, earlier ones too, now count for the new team.",
	merged:
		"The other service was merged into this one: its aliases and deploys are here now, and links to it lead here.",
	archived: "The service was archived: it is left out of the services list; deploys under its aliases still count.",
	unarchived: "The service is back in the services list.",
	accepted: "The service was created for the suggested alias, with the deploys already sent under it.",
	"incident-opened": "The incident was opened: the service's latest deploy before it counts as a failed change.",
	"incident-resolved": "The incident was resolved: its time to restore counts from now.",
} as const;
type Notice = keyof typeof NOTICES;

/** A service's page, confirming `notice` if given: for redirects here and from the suggestions. */
export const servicePath = (id: string, notice?: Notice) => `/services/${id}${notice ? `?done=${notice}` : ""}`;
