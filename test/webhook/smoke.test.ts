import { expect, it } from "vitest";
import { createIntegration, examplePayload, postDeploy } from "../helpers";

it("accepts the reference example", async () => {
	const integration = await createIntegration();
	const res = await postDeploy(integration.webhook_url, examplePayload());
	expect(res).toEqual({ status: 202, body: expect.anything() });
});
