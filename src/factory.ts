import type { Context } from "hono";
import { createFactory } from "hono/factory";
import type { AppEnv } from "./env";

/**
 * Every app, sub-app and middleware is made here, so each knows the bindings
 * and the per-request variables (see env.ts) without restating them.
 */
export const factory = createFactory<AppEnv>();

/** A request's context, for helpers that take one beside the handler that has it. */
export type AppContext<Path extends string = string> = Context<AppEnv, Path>;
