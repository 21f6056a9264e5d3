import { describe, expect, it } from "vitest";
import { admin, api, examplePayload, expectError, integrationBeforeAll, postDeploy, unique } from "../helpers";
import { escaped, submit, view } from "./helpers";

const integration = integrationBeforeAll("service lifecycle pages");

const aliasesOf = async (id: string) => (await admin("GET", `/services/${id}`)).body.aliases;

describe("merging a service from its edit page", () => {
	it("offers Merge into the other services, through a confirmation page that changes nothing", async () => {
		const [a, b] = [await api.createService(unique("A")), await api.createService(unique("B"))];
		const edit = await view(`/services/${b.id}/edit`);
		expect(edit.html).toContain(`action="/services/${b.id}/merge"`);
		expect(edit.html).toContain(`<option value="${a.id}">${escaped(a.name)}</option>`);

		const confirm = await view(`/services/${b.id}/merge?into_service_id=${a.id}`);
		expect(confirm.status).toBe(200);
		expect(confirm.html).toContain(`Merge ${escaped(b.name)} into ${escaped(a.name)}?`);
		expect(await aliasesOf(b.id)).toEqual([b.name]);
	});

	it("merges once confirmed, lands on the survivor, and the old page leads there", async () => {
		const [a, b] = [await api.createService(unique("A")), await api.createService(unique("B"))];
		const done = await submit(`/services/${b.id}/merge`, { into_service_id: a.id });
		expect([done.status, done.location]).toEqual([303, `/services/${a.id}?done=merged`]);
		expect(await aliasesOf(a.id)).toEqual([a.name, b.name]);
		expect(await view(`/services/${b.id}`)).toMatchObject({ status: 301, location: `/services/${a.id}` });
		expect((await view("/services")).html).not.toContain(b.id);
	});

	it("shows why a merge into itself is refused", async () => {
		const a = await api.createService(unique("A"));
		expect((await submit(`/services/${a.id}/merge`, { into_service_id: a.id })).status).toBe(400);
		expect((await view(`/services/${a.id}/merge?into_service_id=missing`)).status).toBe(404);
	});
});

describe("archiving a service", () => {
	it("asks first, then hides it from the list but for the Archived tab, and its page says so", async () => {
		const service = await api.createService(unique("Old"));
		const confirm = await view(`/services/${service.id}/archive`);
		expect(confirm.html).toContain(`Archive ${escaped(service.name)}?`);
		expect((await view("/services")).html).toContain(service.id);

		const done = await submit(`/services/${service.id}/archive`);
		expect([done.status, done.location]).toEqual([303, `/services/${service.id}?done=archived`]);
		expect((await view("/services")).html).not.toContain(service.id);
		expect((await view("/services?archived=only")).html).toContain(service.id);
		expect((await view("/services?archived=include")).html).toContain(service.id);
		const shown = await view(`/services/${service.id}`);
		expect(shown.html).toContain("This service is archived");
		expect((await view(`/services/${service.id}/edit`)).html).toContain(`action="/services/${service.id}/unarchive"`);

		const back = await submit(`/services/${service.id}/unarchive`);
		expect([back.status, back.location]).toEqual([303, `/services/${service.id}?done=unarchived`]);
		expect((await view("/services")).html).toContain(service.id);
	});
});

describe("deleting a service", () => {
	it("asks for the name, refuses a wrong one, and deletes on the right one", async () => {
		const service = await api.createService(unique("Gone"));
		const confirm = await view(`/services/${service.id}/delete`);
		expect(confirm.html).toContain("It has no deploys.");
		expect(confirm.html).not.toContain('name="purge_deploys"');

		const wrong = await submit(`/services/${service.id}/delete`, { confirm_name: "nope" });
		expect(wrong.status).toBe(400);
		expect(wrong.html).toContain("the name typed is not the service");
		expect(await aliasesOf(service.id)).toEqual([service.name]);

		const done = await submit(`/services/${service.id}/delete`, { confirm_name: service.name });
		expect([done.status, done.location]).toEqual([303, "/services?done=deleted"]);
		expectError(await admin("GET", `/services/${service.id}`), 404);
	});

	it("says the deploys go too when there are some, and refuses if they came after the page was shown", async () => {
		const service = await api.createService(unique("Busy"));
		const empty = await view(`/services/${service.id}/delete`);
		expect(empty.html).not.toContain('name="purge_deploys"');
		const sent = await postDeploy(integration.webhook_url, examplePayload({ service: service.name }));
		expect(sent.body.result).toBe("ok");

		// The form as shown before the deploy came: no purge; refused, nothing deleted.
		const stale = await submit(`/services/${service.id}/delete`, { confirm_name: service.name });
		expect(stale.status).toBe(409);
		expect(stale.html).toContain('name="purge_deploys" value="true"');
		expect(stale.html).toContain("Its deploys, and their status history, are deleted with it.");

		const done = await submit(`/services/${service.id}/delete`, { confirm_name: service.name, purge_deploys: "true" });
		expect(done.status).toBe(303);
		expectError(await admin("GET", `/services/${service.id}`), 404);
	});
});
