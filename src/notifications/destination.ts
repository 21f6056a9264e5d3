import type { DestinationKind } from "../db/notifications-schema";
import { ApiError } from "../http/errors";

/** Hosts a development receiver may use over plain http: when NOTIFICATIONS_ALLOW_HTTP is `localhost`. */
const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);
const SLACK_HOST = "hooks.slack.com";

const refuse = (detail: string) => ApiError.of(400, "Url Error", `${detail}: url`);

/**
 * Checks where a subscription may send. Only `https:` (plain http only to
 * this machine, and only where the deployment allows it for development);
 * never credentials in the URL, which would then show on every page and log
 * line that names it; never this tracker itself (`ownHost`), which would
 * feed its own requests. A Slack destination must be an incoming webhook.
 */
export function checkDestination(kind: DestinationKind, raw: string, ownHost: string, allowHttp: boolean): string {
	let url: URL;
	try {
		url = new URL(raw);
	} catch {
		throw refuse("param is not a valid URL");
	}
	const localHttp = allowHttp && url.protocol === "http:" && LOOPBACK.has(url.hostname);
	if (url.protocol !== "https:" && !localHttp) throw refuse("param must be an https: URL");
	if (url.username || url.password) throw refuse("param must not carry a user name or password");
	if (url.host === ownHost) throw refuse("param must not point at this tracker");
	if (kind === "slack" && (url.hostname !== SLACK_HOST || !url.pathname.startsWith("/services/"))) {
		throw refuse(`param must be a Slack incoming webhook (https://${SLACK_HOST}/services/…)`);
	}
	return url.href;
}

/**
 * A destination as pages, answers and audit rows show it. A Slack webhook's
 * URL is its credential, so its last segment is masked; a webhook endpoint's
 * URL is shown whole (its secret is the signing key, shown only once).
 */
export function shownDestination(kind: DestinationKind, url: string): string {
	if (kind !== "slack") return url;
	const parsed = new URL(url);
	const segments = parsed.pathname.split("/");
	segments[segments.length - 1] = "…";
	return `${parsed.origin}${segments.join("/")}`;
}
