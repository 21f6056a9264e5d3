import { Hono } from "hono";
import type { AppEnv } from "../../env";
import { renderError } from "../errors";
import { signedIn } from "../security";

export const servicesPages = new Hono<AppEnv>().use(...signedIn);

servicesPages.onError(renderError);
