import { MAX_NAME } from "../../../http/validation";
import type { DryRunAnswer } from "../../../webhook/dry-run";
import { FormErrors } from "../../components";
import type { attempt } from "../../forms";

/** The alias a test deploy names when the integration has had no deploy to take one from. */
export const SAMPLE_SERVICE = "my-service";

/** The deploy "Send a test deploy" checks: the least a pipeline must send, for `service`, now. */
export const sampleDeploy = (service: string) => ({
	service,
	description: "Test deploy from the integration's page",
	deployed_at: new Date().toISOString(),
	deployer: { name: "Deploy tracker" },
});

/** A test deploy's service name and what the webhook answered it, or why it refused it. */
export type TestDeploy = { service: string; answer?: Awaited<ReturnType<typeof attempt<DryRunAnswer>>> };

/** What the answer means, in words; the JSON below it is what a pipeline would get. */
function answerText(answer: DryRunAnswer, service: string): string {
	switch (answer.result) {
		case "ok":
			return `The URL is live: a deploy of ${service} would be recorded for the service ${answer.service?.name}.`;
		case "no_service_found":
			return `The URL is live, but no service has the alias ${service} yet: a deploy would be recorded and ${service} suggested as a service.`;
		case "duplicate_deploy":
			return "The URL is live, but this deploy was reported before: it would not be recorded again.";
	}
}

export function TestDeployForm({ id, test }: { id: string; test: TestDeploy }) {
	return (
		<section id="test-deploy">
			<h2>Send a test deploy</h2>
			<form method="post" action={`/integrations/${id}/test#test-deploy`} class="panel stack">
				<p class="muted">
					Checks this integration's URL with a sample deploy, as your pipeline would send it, and shows the answer.
					Nothing is recorded and no deploy number is used.
				</p>
				<label>
					Service
					<input name="service" value={test.service} required maxlength={MAX_NAME} />
				</label>
				<div>
					<button type="submit">Send a test deploy</button>
				</div>
			</form>
			{test.answer?.ok ? (
				<div class="panel test-answer" role="status">
					<p>{answerText(test.answer.value, test.service)} Nothing was recorded.</p>
					<pre>{`200 ${JSON.stringify(test.answer.value, null, 2)}`}</pre>
				</div>
			) : (
				<FormErrors errors={test.answer?.error.errors} />
			)}
		</section>
	);
}
