import type { Actor } from "./audit/actor";
import type { Meter } from "./cost/meter";
import type { Database } from "./db/client";

/**
 * The bindings come from wrangler.toml through `npm run cf-typegen`
 * (worker-configuration.d.ts). Secrets and optional settings are not in
 * wrangler.toml, and wrangler would type them as always set: they are
 * declared here, as unset until configured.
 */
declare global {
	namespace Cloudflare {
		interface Env {
			/** Bearer token for `/api`. A Worker secret; unset means the API stays closed. */
			ADMIN_TOKEN?: string;
			/** The token being retired during a rotation: accepted alongside ADMIN_TOKEN until removed. */
			ADMIN_TOKEN_PREVIOUS?: string;
			/** Webhook requests one integration may make at once, and per second after that (see ledger/rate-limit.ts). */
			WEBHOOK_BURST?: string;
			WEBHOOK_PER_SECOND?: string;
			/** Days a deploy is kept after it was received; unset or empty keeps everything (see retention/). */
			RETENTION_DAYS?: string;
			/** Cloudflare Access: the team domain (`acme` or `acme.cloudflareaccess.com`); with ACCESS_AUD, people sign in as themselves. */
			ACCESS_TEAM_DOMAIN?: string;
			/** Cloudflare Access: the application's audience (AUD) tag. */
			ACCESS_AUD?: string;
			/** Emails that are always admins, separated by commas or spaces: the first admins. */
			ACCESS_ADMINS?: string;
			/** What someone Access signed in who is not a member gets: `viewer` (unset), `editor`, `admin` or `none`. */
			ACCESS_DEFAULT_ROLE?: string;
			/** `allow`: with Access configured, the admin token still signs in to the pages (it always works on /api). */
			ADMIN_TOKEN_UI?: string;
			/** `localhost`: subscriptions may also send to http://localhost and 127.0.0.1 (development and the browser suite only). */
			NOTIFICATIONS_ALLOW_HTTP?: string;
			/** Seconds before a failed notification's first retry (default 30; each retry doubles it). */
			NOTIFICATIONS_RETRY_SECONDS?: string;
		}
	}
}

export type Bindings = Cloudflare.Env;
export type AppEnv = {
	Bindings: Bindings;
	Variables: {
		/** This request's cost so far (see cost/meter.ts). */
		meter: Meter;
		/** D1 through Drizzle, metered into `meter`: for the API and the pages a session that may read from a replica (cost/middleware.ts). */
		db: Database;
		/** The same, always on the primary: for deciding who is calling, so a revocation counts at once. */
		primary: Database;
		/** Who is calling and through which door; set once the request proved it (see access/identify.ts). */
		actor: Actor;
	};
};
