import type { Ledger } from "./ledger/ledger";

declare global {
	namespace Cloudflare {
		interface Env {
			DB: D1Database;
			LEDGER: DurableObjectNamespace<Ledger>;
			/** Bearer token for `/api`. A Worker secret; unset means the API stays closed. */
			ADMIN_TOKEN?: string;
		}
	}
}

export type Bindings = Cloudflare.Env;
export type AppEnv = { Bindings: Bindings };
