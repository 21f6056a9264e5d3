import { z } from "zod";
import { MAX_NAME, object, optional, optionalText, requiredDatetime, requiredText, validate } from "../http/validation";

/** Bodies over this are refused with 413 (and import lines over it are invalid); the largest legitimate deploy is a few KiB. */
export const MAX_BODY_BYTES = 512 * 1024;

/** Per-field limits (characters). Anything longer is refused with the field named. */
export const LIMITS = {
	name: MAX_NAME,
	url: 2048,
	description: 10_000,
	message: 65_536,
} as const;

const name = () => optionalText({ max: LIMITS.name });

/** Stored date-times must read back in the form the API shows and its filters accept. */
const datetime = () => requiredDatetime({ fourDigitYear: true });

/** `deploy_number` arrives as `"234"` or `234`; it is stored as text either way. */
const deployNumber = optional(
	z
		.union([requiredText({ max: LIMITS.name }), z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER)], {
			error: "param must be a string or a whole number",
		})
		.transform(String),
);

const deployer = object({
	id: name(),
	email: name(),
	name: name(),
}).superRefine((value, ctx) => {
	if (!value.email && !value.name) {
		ctx.addIssue({ code: "custom", message: "param needs a non-empty email or name" });
	}
});

const commit = object({
	sha: name(),
	message: optionalText({ max: LIMITS.message, trim: false }),
	branch: name(),
	date: optional(datetime()),
	committer_name: name(),
	committer_email: name(),
	author_name: name(),
	author_email: name(),
	authoring_date: optional(datetime()),
});

/** The Custom Deploy webhook body. Unknown fields are dropped. */
export const deployPayload = object({
	service: requiredText({ max: LIMITS.name }),
	description: requiredText({ max: LIMITS.description, trim: false }),
	deployed_at: datetime(),
	deployer,
	environment: name(),
	deploy_url: optionalText({ max: LIMITS.url }),
	dedup_id: name(),
	deploy_number: deployNumber,
	status: name(),
	commit: optional(commit),
});

export type DeployPayload = z.output<typeof deployPayload>;

export function parseDeployPayload(body: unknown): DeployPayload {
	return validate(deployPayload, body);
}
