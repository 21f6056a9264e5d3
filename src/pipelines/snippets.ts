// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are shell and CI expressions, not JavaScript templates
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
 * The curl call every snippet makes: jq builds the JSON, so quotes and
 * newlines in commit messages cannot break it. Arguments are shell words
 * (already quoted for the tool's own substitution syntax).
 */
function curlWithJq(url: string, fields: Record<string, string>, indent: string): string {
	const args = Object.entries(fields).map(([name, value]) => `--arg ${name} ${value}`);
	const object = `{service: $service, environment: $environment, description: $description,
   deployed_at: (now | todate), dedup_id: $dedup_id,
   deployer: {email: $deployer},
   commit: {sha: $sha}}`;
	const lines = [
		`jq -n \\`,
		...args.map((a) => `  ${a} \\`),
		`  '${object}' |`,
		`curl --fail-with-body -sS --retry 5 -X POST \\`,
		`  -H 'Content-Type: application/json' --data-binary @- \\`,
		`  '${url}'`,
	];
	return lines.map((line) => line.replaceAll("\n", `\n${indent}`)).join(`\n${indent}`);
}

/** A ready-to-paste snippet that reports a deploy of the tool `kind` to `url`. */
export function snippet(kind: IntegrationKind, url: string): string {
	switch (kind) {
		case "deploy":
			return `# Run after each deploy; needs curl and jq.
${curlWithJq(
	url,
	{
		service: "my-service",
		environment: "production",
		description: '"Deployed my-service"',
		dedup_id: '"$(uuidgen)"',
		deployer: '"$(git config user.email)"',
		sha: '"$(git rev-parse HEAD)"',
	},
	"",
)}`;
		case "github_actions":
			return `# The last step of your deploy job.
- name: Report deploy
  run: |
    ${curlWithJq(
			url,
			{
				service: '"${{ github.event.repository.name }}"',
				environment: "\"${{ github.event.deployment.environment || 'production' }}\"",
				description: '"${{ github.workflow }} run ${{ github.run_number }}"',
				dedup_id: '"${{ github.repository }}-${{ github.run_id }}-${{ github.run_attempt }}"',
				deployer: '"${{ github.actor }}@users.noreply.github.com"',
				sha: '"${{ github.sha }}"',
			},
			"    ",
		)}`;
		case "gitlab_ci":
			return `# A job after your deploy job.
report-deploy:
  stage: .post
  image: alpine:3
  script:
    - apk add --no-cache curl jq
    - |
      ${curlWithJq(
				url,
				{
					service: '"$CI_PROJECT_NAME"',
					environment: '"${CI_ENVIRONMENT_NAME:-production}"',
					description: '"Pipeline $CI_PIPELINE_ID"',
					dedup_id: '"$CI_PROJECT_PATH-$CI_PIPELINE_ID"',
					deployer: '"$GITLAB_USER_EMAIL"',
					sha: '"$CI_COMMIT_SHA"',
				},
				"      ",
			)}`;
		case "jenkins":
			return `// A stage after your deploy stage (needs curl and jq on the agent).
stage('Report deploy') {
  steps {
    sh '''
      ${curlWithJq(
				url,
				{
					service: '"$JOB_BASE_NAME"',
					environment: "production",
					description: '"$JOB_NAME build $BUILD_NUMBER"',
					dedup_id: '"$BUILD_TAG"',
					deployer: '"${CHANGE_AUTHOR_EMAIL:-jenkins@example.com}"',
					sha: '"$GIT_COMMIT"',
				},
				"      ",
			)}
    '''
  }
}`;
		case "octopus":
			return `# A "Run a Script" step (Bash) after the deploy step.
${curlWithJq(
	url,
	{
		service: '"#{Octopus.Project.Name}"',
		environment: '"#{Octopus.Environment.Name}"',
		description: '"Release #{Octopus.Release.Number}"',
		dedup_id: '"#{Octopus.Deployment.Id}"',
		deployer: '"#{Octopus.Deployment.CreatedBy.EmailAddress}"',
		sha: '"#{Octopus.Release.Git.Commit}"',
	},
	"",
)}`;
		case "circleci":
			return `# A job that requires your deploy job.
report-deploy:
  docker:
    - image: cimg/base:current
  steps:
    - run:
        name: Report deploy
        command: |
          ${curlWithJq(
						url,
						{
							service: '"$CIRCLE_PROJECT_REPONAME"',
							environment: "production",
							description: '"Workflow $CIRCLE_WORKFLOW_ID"',
							dedup_id: '"$CIRCLE_WORKFLOW_ID-$CIRCLE_JOB"',
							deployer: '"$CIRCLE_USERNAME@users.noreply.github.com"',
							sha: '"$CIRCLE_SHA1"',
						},
						"          ",
					)}`;
	}
}
