import { Hono } from "hono";
import type { AppEnv } from "../../env";
import { renderError } from "../errors";
import { signedIn } from "../security";

export const deploysPages = new Hono<AppEnv>().use(...signedIn);

deploysPages.onError(renderError);
