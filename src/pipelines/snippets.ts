import argocd from "../../examples/argocd-notifications.yml";
import circleci from "../../examples/circleci.yml";
import curl from "../../examples/curl.sh";
import flux from "../../examples/flux-alert.yml";
import githubActions from "../../examples/github-actions.yml";
import gitlabCi from "../../examples/gitlab-ci.yml";
import jenkins from "../../examples/Jenkinsfile";
import octopus from "../../examples/octopus-step.sh";
import sendDeploy from "../../examples/send-deploy.sh";
import { INTEGRATION_KINDS, type IntegrationKind } from "../db/schema";

/**
 * Where the user keeps the integration's URL, which the tool's snippet reads:
 * the page says "Store this URL as <store> <name> (<where>)" beside it.
 */
export type Secret = { store: string; name: string; where?: string };

/** The tools set up with a snippet in the pipeline; GitHub deployments are set up in GitHub's settings instead. */
export type SnippetKind = Exclude<IntegrationKind, "github">;
export const SNIPPET_KINDS = INTEGRATION_KINDS.filter((kind): kind is SnippetKind => kind !== "github");

type Tool = { label: string; blurb: string };

/** How each tool is presented when setting up an integration. */
export const KINDS: Record<SnippetKind, Tool & { secret: Secret }> & Record<"github", Tool> = {
	deploy: {
		label: "Deploy",
		blurb: "Any pipeline or script that can run curl",
		secret: {
			store: "a secret your pipeline gives the script as the environment variable",
			name: "DEPLOY_WEBHOOK_URL",
		},
	},
	github_actions: {
		label: "GitHub Actions",
		blurb: "A step at the end of your deploy job",
		secret: {
			store: "a repository secret named",
			name: "DEPLOY_WEBHOOK_URL",
			where: "Settings › Secrets and variables › Actions",
		},
	},
	gitlab_ci: {
		label: "GitLab CI",
		blurb: "The after_script of your deploy job",
		secret: {
			store: "a masked CI/CD variable named",
			name: "DEPLOY_WEBHOOK_URL",
			where: "Settings › CI/CD › Variables",
		},
	},
	jenkins: {
		label: "Jenkins",
		blurb: "A post block in your declarative deploy stage",
		secret: {
			store: 'a "Secret text" credential with the id',
			name: "deploy-webhook-url",
			where: "Manage Jenkins › Credentials",
		},
	},
	octopus: {
		label: "Octopus Deploy",
		blurb: "A Run a Script step after the deploy",
		secret: { store: "a sensitive project variable named", name: "DeployWebhookUrl", where: "Project › Variables" },
	},
	circleci: {
		label: "CircleCI",
		blurb: "Steps at the end of your deploy job",
		secret: {
			store: "the environment variable",
			name: "DEPLOY_WEBHOOK_URL",
			where: "in a context named deploy-tracker: Organization Settings › Contexts",
		},
	},
	argocd: {
		label: "Argo CD",
		blurb: "A notifications webhook for each finished sync",
		secret: {
			store: "the key",
			name: "deploy-tracker-url",
			where: "in the Secret argocd-notifications-secret, beside argocd-notifications-cm",
		},
	},
	flux: {
		label: "Flux",
		blurb: "A generic Provider and an Alert for Kustomizations and HelmReleases",
		secret: {
			store: "the address key of a Secret named",
			name: "deploy-tracker-webhook",
			where: "in the namespace of the Provider and Alert",
		},
	},
	github: {
		label: "GitHub deployments",
		blurb: "GitHub's own deployment events, from a repository webhook",
	},
};

/**
 * The files in examples/ are the snippets, so what the UI offers is what the
 * repository validates and runs in its tests. They are files the user commits,
 * so none holds the integration's URL (it reaches them as a secret); they name
 * this stand-in for the tracker's own origin, where the reporter is.
 */
export const PLACEHOLDER_ORIGIN = "https://deploy-tracker.example.com";

export const EXAMPLES: Record<SnippetKind, { file: string; text: string }> = {
	deploy: { file: "examples/curl.sh", text: curl },
	github_actions: { file: "examples/github-actions.yml", text: githubActions },
	gitlab_ci: { file: "examples/gitlab-ci.yml", text: gitlabCi },
	jenkins: { file: "examples/Jenkinsfile", text: jenkins },
	octopus: { file: "examples/octopus-step.sh", text: octopus },
	circleci: { file: "examples/circleci.yml", text: circleci },
	argocd: { file: "examples/argocd-notifications.yml", text: argocd },
	flux: { file: "examples/flux-alert.yml", text: flux },
};

/** A ready-to-paste snippet for the tool `kind`, fetching the reporter from the tracker at `origin`. */
export function snippet(kind: SnippetKind, origin: string): string {
	// A replacer function: a replacement string would read `$&` and the like as patterns.
	return EXAMPLES[kind].text.replaceAll(PLACEHOLDER_ORIGIN, () => origin);
}

/** A one-off report from a terminal, to see a deploy arrive before any pipeline reports one. */
export function trialReport(origin: string): string {
	return `curl -fsSL ${origin}/report-deploy.sh | sh -s -- --service my-service --environment production --status success`;
}

/** The service examples/send-deploy.sh names, which `handSentDeploy` replaces. */
const EXAMPLE_SERVICE = "my-service";

/**
 * A deploy of `service` to send with curl from a terminal (examples/send-deploy.sh),
 * for pages with no deploy yet. Like the snippets, it reads the URL from
 * DEPLOY_WEBHOOK_URL rather than holding it.
 */
export function handSentDeploy(service = EXAMPLE_SERVICE): string {
	// A JSON string inside the shell's single quotes, where only a quote needs escaping.
	const value = JSON.stringify(service).replaceAll("'", `'\\''`);
	return sendDeploy.replace(`"service": "${EXAMPLE_SERVICE}"`, () => `"service": ${value}`);
}
