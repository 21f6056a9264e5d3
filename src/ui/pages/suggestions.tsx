import { Hono } from "hono";
import type { AppEnv } from "../../env";
import { renderError } from "../errors";
import { signedIn } from "../security";

export const suggestionsPages = new Hono<AppEnv>().use(...signedIn);

suggestionsPages.onError(renderError);
