import type { Meter } from "./cost/meter";
import type { Database } from "./db/client";
import type { Ledger } from "./ledger/ledger";

declare global {
	namespace Cloudflare {
		interface Env {
			DB: D1Database;
			LEDGER: DurableObjectNamespace<Ledger>;
			/** Bearer token for `/api`. A Worker secret; unset means the API stays closed. */
			ADMIN_TOKEN?: string;
			/** Webhook requests one integration may make at once, and per second after that (see ledger/rate-limit.ts). */
			WEBHOOK_BURST?: string;
			WEBHOOK_PER_SECOND?: string;
		}
	}
}

export type Bindings = Cloudflare.Env;
export type AppEnv = {
	Bindings: Bindings;
	Variables: {
		/** This request's cost so far (see cost/meter.ts). */
		meter: Meter;
		/** D1 through Drizzle, metered into `meter`. */
		db: Database;
	};
};
