import { z } from "zod";
import { MAX_NAME, object, oneOf, optional, optionalText, requiredText, validate } from "../http/validation";
import type { DeployPayload } from "./payload";
import { parseDeployPayload } from "./payload";

// GitHub's `deployment` and `deployment_status` events, read as Custom Deploy
// bodies: one GitHub deployment is one deploy, each status event moving it on.

/** The events a GitHub integration records; any other is answered and ignored. */
export const DEPLOY_EVENTS = ["deployment", "deployment_status"] as const;
export type DeployEvent = (typeof DEPLOY_EVENTS)[number];

/**
 * The states GitHub documents for a deployment status. `inactive` is GitHub
 * retiring an older deployment once a newer one reached its environment: the
 * older one did run, so it changes nothing here (see `isNews`).
 */
const STATES = ["error", "failure", "inactive", "in_progress", "queued", "pending", "success"] as const;

/** The status a new deployment starts with: GitHub sends it before any status. */
const CREATED = "queued";

const user = object({ login: requiredText({ max: MAX_NAME }), id: optional(z.number().int()) });

/** The fields read from GitHub's payloads; the rest (dozens of URLs) are dropped. */
const deployment = object({
	id: z.number({ error: "param must be a number" }).int().nonnegative(),
	sha: requiredText({ max: MAX_NAME }),
	ref: requiredText({ max: MAX_NAME }),
	environment: requiredText({ max: MAX_NAME }),
	description: optionalText({ max: MAX_NAME }),
	created_at: requiredText({ max: 64 }),
	creator: optional(user),
	/** Free JSON the deployer attached; `{"service": "…"}` in it names the service (see `aliasOf`). */
	payload: z.unknown(),
});

const repository = object({ full_name: requiredText({ max: MAX_NAME }), html_url: optionalText({ max: 2048 }) });

const deploymentEvent = z.object({ deployment, repository, sender: optional(user) });

const link = () => optionalText({ max: 2048 });

const deploymentStatusEvent = deploymentEvent.extend({
	deployment_status: object({
		state: oneOf(STATES),
		log_url: link(),
		target_url: link(),
		environment_url: link(),
	}),
});

type Deployment = z.output<typeof deployment>;
type Repository = z.output<typeof repository>;

/** The alias: a service the deployment's payload names (`{"service": "cart"}`, for a monorepo), else the repository. */
function aliasOf(d: Deployment, repo: Repository): string {
	const named = d.payload !== null && typeof d.payload === "object" ? (d.payload as { service?: unknown }).service : "";
	return typeof named === "string" && named.trim() !== "" ? named : repo.full_name;
}

/** Where a deploy's own page is: the status's log, else its target, else the environment; else the repository's deployments. */
function linkOf(status: z.output<typeof deploymentStatusEvent>["deployment_status"] | undefined, repo: Repository) {
	const own = status?.log_url ?? status?.target_url ?? status?.environment_url;
	return own ?? (repo.html_url ? `${repo.html_url}/deployments` : undefined);
}

/** The deploy a `deployment` or `deployment_status` event reports, or undefined for news that changes nothing. */
export function deployOf(event: DeployEvent, body: unknown): DeployPayload | undefined {
	const read =
		event === "deployment"
			? { ...validate(deploymentEvent, body), deployment_status: undefined }
			: validate(deploymentStatusEvent, body);
	const { deployment: d, repository: repo, deployment_status: status } = read;
	if (status?.state === "inactive") return undefined;
	const deployer = d.creator ?? read.sender;
	return parseDeployPayload({
		service: aliasOf(d, repo),
		description: d.description ?? `GitHub deployment of ${d.ref} to ${d.environment}`,
		// The deployment's creation: every status event of it says the same, so the deploy keeps one time.
		deployed_at: d.created_at,
		deployer: deployer && { id: deployer.id === undefined ? undefined : String(deployer.id), name: deployer.login },
		environment: d.environment,
		deploy_url: linkOf(status, repo),
		dedup_id: `github-deployment:${d.id}`,
		status: status?.state ?? CREATED,
		commit: { sha: d.sha, branch: d.ref },
	});
}
