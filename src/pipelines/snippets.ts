import circleci from "../../examples/circleci.yml";
import curl from "../../examples/curl.sh";
import githubActions from "../../examples/github-actions.yml";
import gitlabCi from "../../examples/gitlab-ci.yml";
import jenkins from "../../examples/Jenkinsfile";
import octopus from "../../examples/octopus-step.sh";
import type { IntegrationKind } from "../db/schema";

/** How each tool is presented when setting up an integration. */
export const KINDS: Record<IntegrationKind, { label: string; blurb: string; language: string }> = {
	deploy: { label: "Deploy", blurb: "Any pipeline or script that can run curl", language: "shell" },
	github_actions: { label: "GitHub Actions", blurb: "A step at the end of your deploy job", language: "yaml" },
	gitlab_ci: { label: "GitLab CI", blurb: "A job after your deploy stage", language: "yaml" },
	jenkins: { label: "Jenkins", blurb: "A stage in a declarative pipeline", language: "groovy" },
	octopus: { label: "Octopus Deploy", blurb: "A Run a Script step after the deploy", language: "shell" },
	circleci: { label: "CircleCI", blurb: "A job that runs after your deploy job", language: "yaml" },
};

/**
 * The files in examples/ are the snippets, so what the UI offers is what the
 * repository validates and runs in its tests. They name these stand-ins for
 * the integration's URL and the tracker's own origin (where the reporter is).
 */
export const PLACEHOLDER_WEBHOOK_URL = "https://deploy-tracker.example.com/integrations/deploy/YOUR-INTEGRATION-ID";
export const PLACEHOLDER_ORIGIN = "https://deploy-tracker.example.com";

export const EXAMPLES: Record<IntegrationKind, { file: string; text: string }> = {
	deploy: { file: "examples/curl.sh", text: curl },
	github_actions: { file: "examples/github-actions.yml", text: githubActions },
	gitlab_ci: { file: "examples/gitlab-ci.yml", text: gitlabCi },
	jenkins: { file: "examples/Jenkinsfile", text: jenkins },
	octopus: { file: "examples/octopus-step.sh", text: octopus },
	circleci: { file: "examples/circleci.yml", text: circleci },
};

/** A ready-to-paste snippet that reports a deploy of the tool `kind` to `url`. */
export function snippet(kind: IntegrationKind, url: string): string {
	const { origin } = new URL(url);
	// Replacer functions: a replacement string would read `$&` and the like as patterns.
	return EXAMPLES[kind].text
		.replaceAll(PLACEHOLDER_WEBHOOK_URL, () => url)
		.replaceAll(PLACEHOLDER_ORIGIN, () => origin);
}
