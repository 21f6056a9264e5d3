import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { database } from "../../src/db/client";
import { serviceOverviewsStatement } from "../../src/db/environments";
import { leadTimeMediansStatement } from "../../src/db/metrics";
import { DAY } from "../../src/http/datetime";
import { bucketStart, WEEK } from "../../src/metrics/windows";
import { PRODUCTION } from "../../src/model/environment";
import { acceptedDeploy, admin, api, integrationBeforeAll, unique } from "../helpers";
import { cells, count, page, rowOf, section, signIn, unescaped, view } from "./helpers";

const integration = integrationBeforeAll("services pages");
let cookie: string;
beforeAll(async () => {
	cookie = await signIn();
});

const NOW = Date.now();
const iso = (ms: number) => new Date(ms).toISOString();
const XSS = "<script>alert(1)</script>";

const deploy = (overrides: Record<string, unknown>) => acceptedDeploy(integration.webhook_url, overrides);

/** A fresh service with one fresh alias. */
async function service(prefix: string) {
	const alias = unique(prefix.toLowerCase());
	return { ...(await api.createService(unique(prefix), [alias])), alias };
}

async function html(path: string, status = 200): Promise<string> {
	const res = await page(cookie, path);
	expect(res.status, path).toBe(status);
	return res.text();
}

async function serviceNamed(name: string) {
	const { body } = await admin("GET", "/services");
	return body.services.find((s: { name: string }) => s.name === name);
}

describe("the service list", () => {
	it("shows what runs in each service's production, any newer attempt, and its deploys of the last 30 days", async () => {
		const svc = await service("Listed");
		const at = (days: number) => iso(NOW - days * DAY);
		const shown = (days: number) => `${at(days).slice(0, 10)} ${at(days).slice(11, 16)} UTC`;
		await deploy({ service: svc.alias, environment: "Production", deployed_at: at(40), deploy_number: "1" });
		await deploy({ service: svc.alias, environment: "production", deployed_at: at(10), deploy_number: "2" });
		// A newer production deploy, under another spelling of the name, that failed: #2 still runs.
		await deploy({ service: svc.alias, environment: "PROD", deployed_at: at(5), deploy_number: "3", status: "failed" });
		await deploy({ service: svc.alias, environment: "staging", deployed_at: at(1), deploy_number: "4" });
		const idle = await service("Idle");
		await deploy({ service: idle.alias, environment: "staging", deployed_at: at(2), deploy_number: "9" });
		const failing = await service("Failing");
		await deploy({
			service: failing.alias,
			environment: "Prod",
			deployed_at: at(3),
			deploy_number: "7",
			status: "error",
		});

		const page = await html("/services");
		expect(page).toContain("New service");
		expect(cells(rowOf(page, `href="/services/${svc.id}"`))).toEqual([
			svc.name,
			svc.alias,
			`${shown(10)}Newer attempt #3 failure ${shown(5)}`,
			"2",
			"no status",
			"3",
		]);
		expect(cells(rowOf(page, `href="/services/${idle.id}"`)).slice(2)).toEqual(["Not deployed", "", "", "1"]);
		expect(cells(rowOf(page, `href="/services/${failing.id}"`)).slice(2)).toEqual([
			`Not deployedNewer attempt #7 failure ${shown(3)}`,
			"",
			"",
			"1",
		]);
	});

	it("reads every service's summary with index seeks, never a scan of deploys", async () => {
		const { sql, params } = serviceOverviewsStatement(database(env.DB), NOW, PRODUCTION).getQuery();
		const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
			.bind(...params)
			.all<{ detail: string }>();
		const details = results.map((r) => r.detail);
		expect(details.join("\n")).not.toMatch(/SCAN (deploys|d|r)\b/);
		// Per service and production key: the latest deploy, and the walk back to the live one (it reads status).
		expect(details).toContain(
			"SEARCH d USING COVERING INDEX deploys_service_environment_idx (service_id=? AND environment_key=?)",
		);
		expect(details).toContain(
			"SEARCH d USING INDEX deploys_service_environment_idx (service_id=? AND environment_key=?)",
		);
		expect(details).toContain("SEARCH d USING INDEX sqlite_autoindex_deploys_1 (id=?)");
		expect(details).toContain(
			"SEARCH r USING COVERING INDEX deploys_service_deployed_at_idx (service_id=? AND deployed_at>?)",
		);
	});
});

describe("creating a service", () => {
	it("offers a form with a name and aliases", async () => {
		const page = await html("/services/new");
		expect(page).toContain('action="/services"');
		expect(page).toContain('name="name"');
		expect(page).toContain('<textarea name="aliases">');
	});

	it("creates the service with aliases one per line or comma separated, and shows it", async () => {
		const name = unique("Created");
		const [a, b, c] = [unique("a"), unique("b"), unique("c")];
		const res = await page(cookie, "/services", { name, aliases: `${a}, ${b}\n${c}\n` });
		expect(res.status).toBe(303);
		const created = await serviceNamed(name);
		expect(created.aliases).toEqual([a, b, c]);
		expect(res.headers.get("Location")).toBe(`/services/${created.id}?done=created`);
		const shown = await html(res.headers.get("Location") ?? "");
		expect(shown).toContain(`<h1>${name}</h1>`);
		expect(shown).toContain("The service was created.");
	});

	it("without aliases, makes the service answer to its own name", async () => {
		const name = unique("Plain");
		expect((await page(cookie, "/services", { name, aliases: " \n, " })).status).toBe(303);
		expect((await serviceNamed(name)).aliases).toEqual([name]);
	});

	it("refuses a missing name with 400, keeping what was typed and creating nothing", async () => {
		const alias = unique("typed");
		const res = await page(cookie, "/services", { name: " ", aliases: alias });
		expect(res.status).toBe(400);
		const body = await res.text();
		expect(body).toContain("That did not work");
		expect(body).toContain("name");
		expect(body).toContain(`<textarea name="aliases">${alias}</textarea>`);
		const { body: list } = await admin("GET", "/services");
		expect(list.services.filter((s: { aliases: string[] }) => s.aliases.includes(alias))).toEqual([]);
	});

	it("refuses a taken name or alias with 409, creating nothing", async () => {
		const taken = await service("Taken");
		const name = unique("Newcomer");
		const res = await page(cookie, "/services", { name, aliases: `${unique("free")}\n${taken.alias}` });
		expect(res.status).toBe(409);
		const body = await res.text();
		expect(body).toContain(`alias &#39;${taken.alias}&#39; already belongs to service &#39;${taken.name}&#39;`);
		expect(body).toContain(`value="${name}"`);
		expect(await serviceNamed(name)).toBeUndefined();

		const again = await page(cookie, "/services", { name: taken.name.toUpperCase(), aliases: unique("other") });
		expect(again.status).toBe(409);
		expect(await again.text()).toContain("already exists");
	});

	it("shows names and aliases escaped, never as markup", async () => {
		const name = unique(XSS);
		const res = await page(cookie, "/services", { name, aliases: `${XSS}-${crypto.randomUUID()}` });
		expect(res.status).toBe(303);
		for (const path of ["/services", res.headers.get("Location") ?? ""]) {
			const shown = await html(path);
			expect(shown).not.toContain(XSS);
			expect(shown).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
		}
	});
});

describe("one service", () => {
	it("answers an unknown id with a 404 page", async () => {
		for (const path of ["/services/no-such-id", "/services/no-such-id/edit"]) {
			expect(await html(path, 404)).toContain("no service with id &#39;no-such-id&#39;");
		}
		expect((await page(cookie, "/services/no-such-id/rename", { name: "x" })).status).toBe(404);
		expect((await page(cookie, "/services/no-such-id/aliases", { alias: "x" })).status).toBe(404);
	});

	it("before any deploy, says how to send one and draws no chart", async () => {
		const svc = await service("Fresh");
		const page = await html(`/services/${svc.id}`);
		expect(page).toContain(`href="/services/${svc.id}/edit"`);
		const where = section(page, "What runs where");
		expect(where).toContain("No deploys yet");
		expect(where).toContain('href="/integrations"');
		expect(where).toContain("curl -X POST");
		expect(where).toContain(`&quot;service&quot;: &quot;${svc.alias}&quot;`);
		const delivery = section(page, "Delivery");
		expect(delivery).not.toContain("<svg");
		expect(delivery).toContain("No deploys in the last 12 weeks.");
		expect(delivery).toContain("No deploys with commit times in the last 12 weeks.");
		expect(delivery).toContain("0 deploys");
		expect(page).not.toContain("NaN");
		expect(section(page, "Deploys")).toContain("No deploys yet.");
	});

	it("shows what runs where: each environment's latest deploy", async () => {
		const svc = await service("Where");
		const sha = "abcdef0123456789abcdef0123456789abcdef01";
		await deploy({
			service: svc.alias,
			environment: "Production",
			deployed_at: iso(NOW - 3 * DAY),
			deploy_number: "7",
		});
		await deploy({
			service: svc.alias,
			environment: "Production",
			deployed_at: iso(NOW - 2 * DAY),
			deploy_number: "8",
			status: "success",
			commit: { sha, message: XSS },
		});
		await deploy({ service: svc.alias, environment: "staging", deployed_at: iso(NOW - DAY), deploy_number: "9" });
		const page = await html(`/services/${svc.id}`);
		expect(page).not.toContain(XSS);
		const where = section(page, "What runs where");
		expect(count(where, "<tr>")).toBe(3);
		const [environment, , number, status, commit] = cells(rowOf(where, ">Production<"));
		expect([environment, number, status, commit]).toEqual(["Production", "8", "success", sha.slice(0, 8)]);
		expect(rowOf(where, ">Production<")).toMatch(/href="\/deploys\/[0-9a-f-]{36}"/);
		expect(cells(rowOf(where, ">staging<"))[2]).toBe("9");
	});

	it("shows what runs where as live, with a newer failed or unfinished deploy beside it as an attempt", async () => {
		const svc = await service("Attempted");
		const shown = (ms: number) => `${iso(ms).slice(0, 10)} ${iso(ms).slice(11, 16)} UTC`;
		const [live, failed, canceled] = [NOW - 3 * DAY, NOW - 2 * DAY, NOW - DAY];
		await deploy({ service: svc.alias, environment: "production", deployed_at: iso(live), deploy_number: "19" });
		await deploy({
			service: svc.alias,
			environment: "Production",
			deployed_at: iso(failed),
			deploy_number: "22",
			status: "failure",
		});
		await deploy({
			service: svc.alias,
			environment: "Production",
			deployed_at: iso(canceled),
			deploy_number: "23",
			status: "canceled",
		});
		await deploy({
			service: svc.alias,
			environment: "qa",
			deployed_at: iso(live),
			deploy_number: "5",
			status: "running",
		});
		const where = section(await html(`/services/${svc.id}`), "What runs where");
		expect(count(where, "<tr>")).toBe(3);
		expect(cells(rowOf(where, ">Production<"))).toEqual([
			"Production",
			`${shown(live)}Newer attempt #23 canceled ${shown(canceled)}`,
			"19",
			"no status",
			expect.any(String),
		]);
		expect(cells(rowOf(where, ">qa<")).slice(0, 4)).toEqual([
			"qa",
			`Nothing live yetNewer attempt #5 running ${shown(live)}`,
			"",
			"",
		]);
	});

	it("charts the last 12 weeks: a bar per week with deploys, a point per week with lead times", async () => {
		const svc = await service("Charted");
		// An hour into the week `weeksAgo` weeks before this one: in the past, whatever today is.
		const inWeek = (weeksAgo: number) => bucketStart(NOW, "week") - weeksAgo * WEEK + 3_600_000;
		const withLeadTime = (deployedAt: number, hours: number) => ({
			service: svc.alias,
			deployed_at: iso(deployedAt),
			commit: { sha: crypto.randomUUID(), authoring_date: iso(deployedAt - hours * 3_600_000) },
		});
		await deploy(withLeadTime(inWeek(1), 2));
		await deploy(withLeadTime(inWeek(1) + 60_000, 4));
		await deploy(withLeadTime(inWeek(2), 6));
		await deploy({ service: svc.alias, deployed_at: iso(inWeek(5)), commit: {} });
		await deploy({ service: svc.alias, deployed_at: iso(inWeek(20)), commit: {} });

		const delivery = section(await html(`/services/${svc.id}`), "Delivery");
		expect(delivery).not.toContain("NaN");
		expect(delivery).toContain("4 deploys");
		expect(count(delivery, 'role="img"')).toBe(2);
		expect(delivery).toContain(
			'<title id="deploys-per-week-title">Deploys per week, last 12 weeks, the current week partial</title>',
		);
		// Weeks 1, 2 and 5 have deploys; week 20 is outside the chart (and the 90 days).
		expect(count(delivery, 'class="bar"')).toBe(3);
		expect(delivery).toMatch(/<rect class="bar"[^>]*><title>\w+ \d+: 2 deploys<\/title>/);
		// Weeks 1 and 2 have lead times (medians 2 h and 6 h), next to each other: one line through two points.
		expect(count(delivery, 'class="dot"')).toBe(2);
		expect(count(delivery, 'class="line"')).toBe(1);
		expect(delivery).toContain(": 2 hours</title>");
		expect(delivery).toContain(": 6 hours</title>");
		expect(delivery).not.toContain("style=");
	});

	it("lists its deploys 20 at a time, with links to older ones", async () => {
		const svc = await service("Paged");
		const first = NOW - 100 * DAY;
		for (let i = 1; i <= 25; i++) {
			await deploy({ service: svc.alias, deployed_at: iso(first + i * 60_000), deploy_number: String(i) });
		}
		const numbers = (page: string) =>
			[
				...(section(page, "Deploys")
					.split("<tbody>")[1]
					?.matchAll(/<td[^>]* class="mono">(\d+)<\/td>/g) ?? []),
			].map((m) => m[1]);

		const newest = await html(`/services/${svc.id}`);
		expect(numbers(newest)).toEqual(Array.from({ length: 20 }, (_, i) => String(25 - i)));
		expect(newest).not.toContain("« Newest");
		const older = /<a href="([^"]+)">Older »<\/a>/.exec(newest)?.[1]?.replaceAll("&amp;", "&") ?? "";
		expect(older).toMatch(new RegExp(`^/services/${svc.id}\\?before=[\\w-]+#deploys$`));

		const rest = await html(older.replace(/#.*/, ""));
		expect(numbers(rest)).toEqual(["5", "4", "3", "2", "1"]);
		expect(rest).not.toContain("Older »");
		expect(rest).toContain(`<a href="/services/${svc.id}#deploys">« Newest</a>`);
	});

	it("keeps the chosen delivery environment while paging the timeline", async () => {
		const svc = await service("PagedStaging");
		for (let i = 1; i <= 21; i++) {
			await deploy({ service: svc.alias, environment: "staging", deployed_at: iso(NOW - i * 60_000) });
		}
		const page = await html(`/services/${svc.id}?environment=staging`);
		const older = /<a href="([^"]+)">Older »<\/a>/.exec(page)?.[1]?.replaceAll("&amp;", "&") ?? "";
		expect(older).toMatch(new RegExp(`^/services/${svc.id}\\?environment=staging&before=[\\w-]+#deploys$`));
		const rest = await html(older.replace(/#.*/, ""));
		expect(section(rest, "Delivery")).toContain("Last 90 days, staging.");
		expect(rest).toContain(`<a href="/services/${svc.id}?environment=staging#deploys">« Newest</a>`);
	});

	it("answers a cursor it did not make with a 400 page", async () => {
		const svc = await service("Cursor");
		expect(await html(`/services/${svc.id}?before=nonsense`, 400)).toContain("not a cursor");
	});

	it("reads the weekly lead times through the service's index, scanning no deploys", async () => {
		const statement = leadTimeMediansStatement(database(env.DB), {
			serviceId: "some-service",
			from: NOW - 90 * DAY,
			to: NOW,
			bucketOrigin: bucketStart(NOW - 90 * DAY, "week"),
			bucketSize: WEEK,
		});
		const { sql, params } = statement.getQuery();
		const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
			.bind(...params)
			.all<{ detail: string }>();
		const details = results.map((r) => r.detail);
		expect(details).toContain(
			"SEARCH d USING INDEX deploys_service_deployed_at_idx (service_id=? AND deployed_at>? AND deployed_at<?)",
		);
		expect(details.join("\n")).not.toMatch(/SCAN (deploys|d)\b/);
	});
});

describe("editing a service", () => {
	it("renames the service, and refuses a name another service has with 409", async () => {
		const svc = await service("Renamed");
		const other = await service("Other");
		const edit = await html(`/services/${svc.id}/edit`);
		expect(edit).toContain(`action="/services/${svc.id}/rename"`);
		expect(edit).toContain(`action="/services/${svc.id}/aliases/${svc.alias}/remove"`);

		const name = unique("Better");
		const res = await page(cookie, `/services/${svc.id}/rename`, { name });
		expect(res.status).toBe(303);
		expect(res.headers.get("Location")).toBe(`/services/${svc.id}?done=renamed`);
		expect((await admin("GET", `/services/${svc.id}`)).body.name).toBe(name);

		const refused = await page(cookie, `/services/${svc.id}/rename`, { name: other.name });
		expect(refused.status).toBe(409);
		const body = await refused.text();
		expect(body).toContain("already exists");
		expect(body).toContain(`value="${other.name}"`);
		expect((await admin("GET", `/services/${svc.id}`)).body.name).toBe(name);

		expect((await page(cookie, `/services/${svc.id}/rename`, { name: "" })).status).toBe(400);
	});

	it("adds an alias, and refuses one another service owns with 409", async () => {
		const svc = await service("Aliased");
		const other = await service("Owner");
		const alias = unique("extra");
		const res = await page(cookie, `/services/${svc.id}/aliases`, { alias });
		expect(res.status).toBe(303);
		expect(res.headers.get("Location")).toBe(`/services/${svc.id}?done=alias-added`);
		expect((await admin("GET", `/services/${svc.id}`)).body.aliases).toEqual([svc.alias, alias]);

		const again = await page(cookie, `/services/${svc.id}/aliases`, { alias: alias.toUpperCase() });
		expect(again.headers.get("Location")).toBe(`/services/${svc.id}?done=alias-kept`);

		const refused = await page(cookie, `/services/${svc.id}/aliases`, { alias: other.alias });
		expect(refused.status).toBe(409);
		const body = await refused.text();
		expect(body).toContain(`already belongs to service &#39;${other.name}&#39;`);
		expect(body).toContain(`name="alias" value="${other.alias}"`);
		expect((await admin("GET", `/services/${svc.id}`)).body.aliases).toEqual([svc.alias, alias]);

		expect((await page(cookie, `/services/${svc.id}/aliases`, { alias: " " })).status).toBe(400);
	});
});

describe("delivery figures by environment", () => {
	/** A fresh service with one deploy per `[environment, days ago]`, and a reader of its Delivery section. */
	async function serviceWith(name: string, deploys: [string, number][]) {
		const svc = await service(name);
		for (const [environment, days] of deploys) {
			await deploy({ service: svc.alias, environment, deployed_at: iso(NOW - days * DAY) });
		}
		return async (query: string) => section(await html(`/services/${svc.id}${query}`), "Delivery");
	}

	it("count production by default, and any environment or all of them on request", async () => {
		const figures = await serviceWith("Environments", [
			["Production", 3],
			["Production", 2],
			["staging", 1],
		]);

		const production = await figures("");
		expect(production).toContain("Last 90 days, Production.");
		expect(production).toContain("2 deploys");
		expect(production).toContain('<option value="Production" selected="">Production</option>');

		expect(await figures("?environment=staging")).toContain(">1 deploy<");
		const every = await figures("?environment=*");
		expect(every).toContain("Last 90 days, every environment.");
		expect(every).toContain("3 deploys");
		expect(every).toContain('<option value="*" selected="">Every environment</option>');
	});

	it("offer each environment once, whatever its spellings, and count them all", async () => {
		const figures = await serviceWith("Spellings", [
			["production", 3],
			["PRODUCTION", 2],
			["Production", 1],
			["Staging", 1],
		]);
		const production = await figures("");
		expect([...production.matchAll(/<option value="([^"]*)"/g)].map((m) => m[1])).toEqual([
			"*",
			"Production",
			"Staging",
		]);
		expect(production).toContain("Last 90 days, Production.");
		expect(production).toContain("3 deploys");
		// A link with another spelling selects the same environment, named as the service spells it now.
		const staging = await figures("?environment=STAGING");
		expect(staging).toContain("Last 90 days, Staging.");
		expect(staging).toContain('<option value="Staging" selected="">Staging</option>');
		expect(staging).toContain(">1 deploy<");
	});

	it("show every environment when none is production", async () => {
		const figures = await serviceWith("NoProduction", [["qa", 1]]);
		expect(await figures("")).toContain("Last 90 days, every environment.");
	});
});

describe("notices after a redirect", () => {
	it("show only the fixed texts: an unknown, inherited or hostile ?done= shows nothing", async () => {
		const svc = await service("Notices");
		expect(await html(`/services/${svc.id}?done=created`)).toContain('class="notice"');
		for (const done of ["toString", "__proto__", "constructor", "<b>x</b>"]) {
			const page = await html(`/services/${svc.id}?done=${encodeURIComponent(done)}`);
			expect(page, done).not.toContain('class="notice"');
		}
		for (const done of ["hasOwnProperty", "<b>x</b>"]) {
			expect((await view(`/suggestions?done=${encodeURIComponent(done)}`)).html, done).not.toContain('class="notice"');
		}
	});
});

describe("delivery figures people can read", () => {
	const text = (html: string) => html.replace(/<[^>]+>/g, "").trim();
	/** Each card of the Delivery section as `[label, figure, change, band, explanation]`, as text. */
	const cards = (delivery: string) =>
		[...delivery.matchAll(/<div class="card">([\s\S]*?)<p class="explain">([^<]*)<\/p>/g)].map((m) => {
			const parts = [
				...(m[1] ?? "").matchAll(/<div class="(?:label|figure|change[^"]*|band[^"]*)">([\s\S]*?)<\/div>/g),
			];
			const [label, figure, , change, band] = parts.map((p) => text(p[1] ?? ""));
			return [label, figure, change, band, m[2]];
		});
	const hoursBefore = (ms: number, hours: number) => iso(ms - hours * 3_600_000);

	it("say on each card what it counts, in text always shown, never in a hover title", async () => {
		const svc = await service("Explained");
		const delivery = section(await html(`/services/${svc.id}`), "Delivery");
		expect(cards(delivery).map(([label, , , , explain]) => [label, explain])).toEqual([
			["Deployment frequency", "Every deploy in the period, whatever its status."],
			["Lead time for changes (median)", "From the commit&#39;s authoring time (else its commit time) to its deploy."],
			["Change failure rate", "Share of deploys with a failure status, or that rolled back to an earlier commit."],
			["Time to restore (median)", "From a failed deploy to the next successful one in the same environment."],
			[
				"Change failure rate, by incidents",
				"Share of deploys an incident named, or that were their service&#39;s latest before an incident began.",
			],
			["Time to restore, by incidents (median)", "From an incident&#39;s start to its resolution."],
		]);
		expect(
			delivery.slice(delivery.indexOf('<div class="cards">'), delivery.indexOf('<div class="grid-2">')),
		).not.toContain("title=");
	});

	it("compare each figure with the 90 days before: ↑ or ↓, by how much, better or worse, and give its band", async () => {
		const svc = await service("Compared");
		const at = (days: number) => NOW - days * DAY;
		const ship = (days: number, status: string, leadHours?: number) =>
			deploy({
				service: svc.alias,
				environment: "production",
				deployed_at: iso(at(days)),
				status,
				commit:
					leadHours === undefined ? {} : { sha: crypto.randomUUID(), authoring_date: hoursBefore(at(days), leadHours) },
			});
		// The last 90 days: 4 deploys, lead times 2, 4 and 6 h, one failure restored an hour later.
		await ship(10, "failure", 2);
		await ship(10 - 1 / 24, "success", 4);
		await ship(20, "success", 6);
		await ship(30, "success");
		// The 90 days before: 2 successes, lead times 10 and 12 h.
		await ship(100, "success", 10);
		await ship(110, "success", 12);

		expect(cards(section(await html(`/services/${svc.id}`), "Delivery")).map((c) => c.slice(0, 4))).toEqual([
			// 4 and 2 deploys in 90 days; 4 in 90 days is at least monthly (medium), under weekly (high).
			["Deployment frequency", "0.3 per week", "↑ 0.2 per week vs the previous 90 days, better", "DORA band: medium"],
			// Medians 4 h and 10 h (the lower middle of two).
			["Lead time for changes (median)", "4 h", "↓ 6 h vs the previous 90 days, better", "DORA band: elite"],
			// 1 of 4 against 0 of 2; 25 % is above 15 %.
			["Change failure rate", "25%", "↑ 25 points vs the previous 90 days, worse", "DORA band: low"],
			// Exactly an hour is no longer under one: high, not elite.
			["Time to restore (median)", "60 min", "No comparison: none in the previous 90 days", "DORA band: high"],
			// No incidents: none of the 4 deploys, nor of the 2 before, was blamed.
			["Change failure rate, by incidents", "0%", "Same as the previous 90 days", "DORA band: elite"],
			[
				"Time to restore, by incidents (median)",
				"—",
				"No comparison: none in this period",
				"DORA band: none, nothing to rate",
			],
		]);
	});

	it("say plainly when there is nothing to compare or rate; no deploys at all is a low frequency", async () => {
		const svc = await service("Unrated");
		expect(cards(section(await html(`/services/${svc.id}`), "Delivery")).map((c) => c.slice(2, 4))).toEqual([
			["Same as the previous 90 days", "DORA band: low"],
			["No comparison: none in this period", "DORA band: none, nothing to rate"],
			["No comparison: none in this period", "DORA band: none, nothing to rate"],
			["No comparison: none in this period", "DORA band: none, nothing to rate"],
			["No comparison: none in this period", "DORA band: none, nothing to rate"],
			["No comparison: none in this period", "DORA band: none, nothing to rate"],
		]);
	});

	it("mark the current week in both charts as partial, in the drawing, its reading and a legend", async () => {
		const svc = await service("Partial");
		const thisWeek = bucketStart(NOW, "week");
		const week = new Date(thisWeek).toLocaleDateString("en-US", { month: "short", day: "numeric", timeZone: "UTC" });
		for (const deployedAt of [thisWeek, thisWeek - WEEK]) {
			await deploy({
				service: svc.alias,
				deployed_at: iso(deployedAt),
				commit: { sha: crypto.randomUUID(), authoring_date: hoursBefore(deployedAt, 2) },
			});
		}
		const delivery = section(await html(`/services/${svc.id}`), "Delivery");
		expect(count(delivery, "Last 12 weeks, the current week partial.")).toBe(2);
		// The bar and the point of this week, drawn apart and read out as partial; last week's are whole.
		expect(delivery).toContain(`<title>${week} (this week, so far): 1 deploys</title>`);
		expect(delivery).toContain(`<title>${week} (this week, so far): 2 hours</title>`);
		expect(delivery).toMatch(/<rect class="bar partial"[^>]*><title>[^<]*this week, so far/);
		expect(delivery).toMatch(/<circle class="dot partial"[^>]*><title>[^<]*this week, so far/);
		expect(count(delivery, '<rect class="bar" ')).toBe(1);
		expect(count(delivery, '<circle class="dot" ')).toBe(1);
		// The way from last week's point into this week's is dashed, not solid.
		expect(count(delivery, 'class="line partial"')).toBe(1);
		expect(count(delivery, 'class="line"')).toBe(0);
		expect(delivery).toContain(`<desc id="deploys-per-week-desc">`);
		expect(delivery).toMatch(
			/<desc id="deploys-per-week-desc">[^<]*; \w+ \d+ \(this week, so far\): 1 deploys<\/desc>/,
		);
		expect([...delivery.matchAll(/<p class="chart-legend">([\s\S]*?)<\/p>/g)].map((m) => text(m[1] ?? ""))).toEqual([
			`${week}: this week, so far`,
			`${week}: this week, so far`,
		]);
	});
});

describe("forms and their way back", () => {
	/** A page's forms, each as its action and the links beside its button: Cancel and where it goes. */
	const formsOf = (page: string) =>
		[...page.matchAll(/<form method="post" action="([^"]+)"[\s\S]*?<\/form>/g)]
			.filter((m) => m[1] !== "/logout")
			.map((m) => ({
				action: m[1],
				links: [...m[0].matchAll(/<a href="([^"]+)">([^<]+)<\/a>/g)].map((l) => [l[2], l[1]]),
			}));

	it("the new service form offers Cancel, back to the services", async () => {
		expect(formsOf(await html("/services/new"))).toEqual([{ action: "/services", links: [["Cancel", "/services"]] }]);
	});

	it("each edit form offers Cancel, back to the service", async () => {
		const svc = await service("Cancelled");
		expect(formsOf(await html(`/services/${svc.id}/edit`))).toEqual([
			{ action: `/services/${svc.id}/rename`, links: [["Cancel", `/services/${svc.id}`]] },
			{ action: `/services/${svc.id}/team`, links: [["Cancel", `/services/${svc.id}`]] },
			{ action: `/services/${svc.id}/aliases`, links: [["Cancel", `/services/${svc.id}`]] },
		]);
	});
});

describe("deploy numbers an alias brought along", () => {
	/** A table's rows as their `#` cell, a `*` marking a number given under the alias. */
	const numbers = (part: string) =>
		[...part.matchAll(/<td[^>]* class="mono">(\d+)(<span title="[^"]*">\*<\/span>)?<\/td>/g)].map(
			(m) => `${m[1]}${m[2] ? "*" : ""}`,
		);
	const note = (part: string) => {
		const text = /<p class="muted table-note">([\s\S]*?)<\/p>/.exec(part)?.[1];
		return text && unescaped(text.replace(/<[^>]+>/g, ""));
	};

	it("are marked, and explained under the service's deploys and the deploy list", async () => {
		const svc = await service("Numbered");
		const joining = unique("joining");
		const at = (day: number) => ({ deployed_at: `2031-05-0${day}T12:00:00Z`, deploy_number: undefined });
		await deploy({ service: svc.alias, ...at(1) });
		await deploy({ service: svc.alias, ...at(2) });
		for (const day of [3, 4, 5]) await deploy({ service: joining, ...at(day) });
		expect((await page(cookie, `/services/${svc.id}/aliases`, { alias: joining })).status).toBe(303);
		await deploy({ service: joining, ...at(6) });

		const timeline = section(await html(`/services/${svc.id}`), "Deploys");
		const list = await html(`/deploys?service=${svc.id}`);
		const expected = ["4", "3*", "2*", "1*", "2", "1"];
		const explained = `* #1, #2, #3 arrived under “${joining}” before that alias joined the service, and keep the numbers the alias's own count gave them; the service's count goes on separately. `;
		expect({ numbers: numbers(timeline), note: note(timeline) }).toEqual({ numbers: expected, note: explained });
		expect({ numbers: numbers(list), note: note(list) }).toEqual({ numbers: expected, note: explained });

		// A deploy's own page says it too.
		const deployNumber = async (index: number) => {
			const id = [...list.matchAll(/<a href="\/deploys\/([^"?/]+)">/g)][index]?.[1];
			const number = /<dt>Deploy number<\/dt><dd>([\s\S]*?)<\/dd>/.exec(await html(`/deploys/${id}`))?.[1] ?? "";
			return unescaped(number.replace(/<[^>]+>/g, ""));
		};
		expect([await deployNumber(0), await deployNumber(1)]).toEqual([
			"4",
			`3 given under “${joining}” before that alias joined the service, whose own count goes on separately`,
		]);
	});

	it("are not marked for a service created with the alias: its count carries on from the alias's", async () => {
		const alias = unique("accepted");
		for (const day of [1, 2])
			await deploy({ service: alias, deployed_at: `2031-06-0${day}T12:00:00Z`, deploy_number: undefined });
		const svc = await api.createService(unique("Carried"), [alias]);
		await deploy({ service: alias, deployed_at: "2031-06-03T12:00:00Z", deploy_number: undefined });
		const timeline = section(await html(`/services/${svc.id}`), "Deploys");
		expect({ numbers: numbers(timeline), note: note(timeline) }).toEqual({ numbers: ["3", "2", "1"], note: undefined });
	});
});
