import { describe, expect, it } from "vitest";
import { admin, api, unique } from "../helpers";
import { escaped, submit, view } from "./helpers";

const aliasesOf = async (id: string) => (await admin("GET", `/services/${id}`)).body.aliases;

describe("removing and moving aliases on the service edit page", () => {
	it("offers Remove and Move-to per alias, each through a confirmation page that changes nothing", async () => {
		const alias = unique("typo");
		const from = await api.createService(unique("From"), [alias]);
		const to = await api.createService(unique("To"));
		const edit = await view(`/services/${from.id}/edit`);
		expect(edit.html).toContain(`action="/services/${from.id}/aliases/${alias}/remove"`);
		expect(edit.html).toContain(`<option value="${to.id}">${escaped(to.name)}</option>`);

		const confirm = await view(`/services/${from.id}/aliases/${alias}/move?to_service_id=${to.id}&with_deploys=true`);
		expect(confirm.status).toBe(200);
		expect(confirm.html).toContain(`Move alias ${alias} to ${escaped(to.name)}?`);
		expect(confirm.html).toContain(`name="with_deploys" value="true"`);
		expect(await aliasesOf(from.id)).toEqual([alias]);
	});

	it("moves the alias once confirmed and lands on the new owner's page", async () => {
		const alias = unique("moving");
		const from = await api.createService(unique("From"), [alias]);
		const to = await api.createService(unique("To"));
		const done = await submit(`/services/${from.id}/aliases/${alias}/move`, {
			to_service_id: to.id,
			with_deploys: "false",
		});
		expect([done.status, done.location]).toEqual([303, `/services/${to.id}?done=alias-moved`]);
		expect(await aliasesOf(to.id)).toEqual([to.name, alias]);
	});

	it("removes the alias once confirmed", async () => {
		const service = await api.createService(unique("Cart"), [unique("a"), unique("b")]);
		const [gone, kept] = service.aliases;
		const confirm = await view(`/services/${service.id}/aliases/${gone}/remove`);
		expect(confirm.html).toContain(`Remove alias ${gone}?`);
		const done = await submit(`/services/${service.id}/aliases/${gone}/remove`);
		expect([done.status, done.location]).toEqual([303, `/services/${service.id}?done=alias-removed`]);
		expect(await aliasesOf(service.id)).toEqual([kept]);
	});

	it("answers 404 pages for an alias the service does not have or a missing destination", async () => {
		const service = await api.createService(unique("Cart"));
		expect((await view(`/services/${service.id}/aliases/nope/remove`)).status).toBe(404);
		expect((await view(`/services/${service.id}/aliases/${service.name}/move?to_service_id=missing`)).status).toBe(404);
		expect((await submit(`/services/${service.id}/aliases/nope/remove`)).status).toBe(404);
		expect(await aliasesOf(service.id)).toEqual([service.name]);
	});
});
