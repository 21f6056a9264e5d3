import { Hono } from "hono";
import { api } from "./api";
import type { AppEnv } from "./env";
import { notFound, onError } from "./http/errors";
import { webhook } from "./webhook/route";

export { Ledger } from "./ledger/ledger";

// Not strict: a webhook URL pasted with a trailing slash still works.
const app = new Hono<AppEnv>({ strict: false })
	.get("/healthz", (c) => c.json({ status: "ok" }))
	.route("/integrations/deploy", webhook)
	.route("/api", api);

app.onError(onError);
app.notFound(notFound);

export default app;
