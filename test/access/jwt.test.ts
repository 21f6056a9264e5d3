import { base64url, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { AccessDenied, accessIssuer, readAccessAssertion, verifyAccessAssertion } from "../../src/access/jwt";
import { KEYS_MAX_AGE_MS, REFETCH_COOLDOWN_MS } from "../../src/access/keys";
import { AUD, at, handMade, keyEndpoint, NOW, personClaims, type SigningKey, sign, signingKey, team } from "./fixture";

beforeAll(() => keyEndpoint.listen({ onUnhandledRequest: "error" }));
afterAll(() => keyEndpoint.close());

let access: SigningKey;
let attacker: SigningKey;
beforeAll(async () => {
	access = await signingKey("access-2026-11");
	attacker = await signingKey("attacker");
});

const config = (name: string) => ({ teamDomain: name, aud: AUD });
const afterCooldown = at(REFETCH_COOLDOWN_MS + 1_000);

/** What the verifier said: the identity, or the logged reason it refused. */
async function outcome(jwt: string, teamName: string, now = NOW) {
	try {
		return await verifyAccessAssertion(jwt, config(teamName), now);
	} catch (error) {
		if (error instanceof AccessDenied) return { refused: error.reason };
		throw error;
	}
}

describe("tokens Access issued", () => {
	it("names the person on a person's token", async () => {
		const t = team(access);
		const jwt = await sign(access, personClaims(t.name));
		expect(await outcome(jwt, t.name)).toEqual({ kind: "person", email: "ada@example.com" });
	});

	it("names the service token by its client id", async () => {
		const t = team(access);
		const { email: _none, ...claims } = personClaims(t.name);
		const jwt = await sign(access, { ...claims, sub: "", common_name: "ci-bot.access" });
		expect(await outcome(jwt, t.name)).toEqual({ kind: "service", name: "ci-bot.access" });
	});

	it("allows the documented clock skew on exp and nbf, and no more", async () => {
		const t = team(access);
		const claims = personClaims(t.name);
		const expiredJustNow = await sign(access, { ...claims, exp: Math.floor(NOW.getTime() / 1000) - 30 });
		const validInAMoment = await sign(access, { ...claims, nbf: Math.floor(NOW.getTime() / 1000) + 30 });
		expect([await outcome(expiredJustNow, t.name), await outcome(validInAMoment, t.name)]).toEqual([
			{ kind: "person", email: "ada@example.com" },
			{ kind: "person", email: "ada@example.com" },
		]);
	});
});

describe("refused tokens", () => {
	it("refuses an expired token", async () => {
		const t = team(access);
		const jwt = await sign(access, { ...personClaims(t.name), exp: Math.floor(NOW.getTime() / 1000) - 120 });
		expect(await outcome(jwt, t.name)).toEqual({ refused: "expired" });
	});

	it("refuses a token without exp: it would never expire", async () => {
		const t = team(access);
		const { exp: _never, ...claims } = personClaims(t.name);
		expect(await outcome(await sign(access, claims), t.name)).toEqual({ refused: "malformed" });
	});

	it("refuses a token that is not valid yet", async () => {
		const t = team(access);
		const jwt = await sign(access, { ...personClaims(t.name), nbf: Math.floor(NOW.getTime() / 1000) + 120 });
		expect(await outcome(jwt, t.name)).toEqual({ refused: "not-yet-valid" });
	});

	it("refuses a token for another Access application", async () => {
		const t = team(access);
		const jwt = await sign(access, { ...personClaims(t.name), aud: ["another-application"] });
		expect(await outcome(jwt, t.name)).toEqual({ refused: "audience" });
	});

	it("refuses a token another team issued", async () => {
		const t = team(access);
		const jwt = await sign(access, { ...personClaims(t.name), iss: "https://evil.cloudflareaccess.com" });
		expect(await outcome(jwt, t.name)).toEqual({ refused: "issuer" });
	});

	it("refuses an unsigned token (alg: none) without looking up a key", async () => {
		const t = team(access);
		const jwt = handMade({ alg: "none", kid: access.kid }, personClaims(t.name));
		expect([await outcome(jwt, t.name), t.fetches]).toEqual([{ refused: "algorithm" }, 0]);
	});

	it("refuses HS256 signed with the public key as the secret (key confusion)", async () => {
		const t = team(access);
		const secret = new TextEncoder().encode(JSON.stringify(access.publicJwk));
		const jwt = await new SignJWT(personClaims(t.name))
			.setProtectedHeader({ alg: "HS256", kid: access.kid })
			.sign(secret);
		expect([await outcome(jwt, t.name), t.fetches]).toEqual([{ refused: "algorithm" }, 0]);
	});

	it("refuses a token whose payload was changed after signing", async () => {
		const t = team(access);
		const [header, , signature] = (await sign(access, personClaims(t.name))).split(".");
		const forged = base64url.encode(JSON.stringify({ ...personClaims(t.name), email: "admin@example.com" }));
		expect(await outcome(`${header}.${forged}.${signature}`, t.name)).toEqual({ refused: "signature" });
	});

	it("refuses a token signed by another key under the team's key id", async () => {
		const t = team(access);
		const jwt = await sign({ ...attacker, kid: access.kid }, personClaims(t.name));
		expect(await outcome(jwt, t.name)).toEqual({ refused: "signature" });
	});

	it("refuses a token naming nobody", async () => {
		const t = team(access);
		const { email: _none, ...claims } = personClaims(t.name);
		expect(await outcome(await sign(access, claims), t.name)).toEqual({ refused: "no-identity" });
	});

	it("refuses what is not a JWT at all", async () => {
		const t = team(access);
		expect(await outcome("not.a.jwt", t.name)).toEqual({ refused: "malformed" });
	});
});

describe("the team's signing keys", () => {
	it("looks once more for an unknown key id, then refuses", async () => {
		const t = team(access);
		await outcome(await sign(access, personClaims(t.name)), t.name); // keys loaded: 1 fetch
		const jwt = await sign(attacker, personClaims(t.name));
		expect([await outcome(jwt, t.name, afterCooldown), t.fetches]).toEqual([{ refused: "unknown-key" }, 2]);
	});

	it("fetches at most once per cooldown however many made-up key ids arrive", async () => {
		const t = team(access);
		await outcome(await sign(access, personClaims(t.name)), t.name);
		const flood = await Promise.all(
			Array.from({ length: 50 }, async () => {
				const madeUp = { ...attacker, kid: crypto.randomUUID() };
				return outcome(await sign(madeUp, personClaims(t.name)), t.name, afterCooldown);
			}),
		);
		expect({ refused: new Set(flood.map((o) => JSON.stringify(o))), fetches: t.fetches }).toEqual({
			refused: new Set([JSON.stringify({ refused: "unknown-key" })]),
			fetches: 2,
		});
	});

	it("accepts a rotated-in key once the cooldown allows a fetch", async () => {
		const t = team(access);
		await outcome(await sign(access, personClaims(t.name)), t.name);
		const next = await signingKey("access-2027-01");
		t.keys = [access.publicJwk, next.publicJwk];
		const jwt = await sign(next, personClaims(t.name));
		expect([await outcome(jwt, t.name, at(1_000)), await outcome(jwt, t.name, afterCooldown), t.fetches]).toEqual([
			{ refused: "unknown-key" },
			{ kind: "person", email: "ada@example.com" },
			2,
		]);
	});

	it("keeps keys for their max age, then drops the ones Access removed", async () => {
		const t = team(access);
		const jwt = await sign(access, personClaims(t.name));
		await outcome(jwt, t.name);
		t.keys = [(await signingKey("access-2027-01")).publicJwk];
		expect([
			await outcome(jwt, t.name, at(KEYS_MAX_AGE_MS - 1_000)),
			await outcome(jwt, t.name, at(KEYS_MAX_AGE_MS)),
			t.fetches,
		]).toEqual([{ kind: "person", email: "ada@example.com" }, { refused: "unknown-key" }, 2]);
	});

	it("keeps its keys when a refresh fails, and says so in the log", async () => {
		const t = team(access);
		const jwt = await sign(access, personClaims(t.name));
		await outcome(jwt, t.name);
		t.status = 503;
		const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
		const late = await outcome(jwt, t.name, at(KEYS_MAX_AGE_MS));
		expect([late, t.fetches, warn.mock.calls.map(([message]) => message)]).toEqual([
			{ kind: "person", email: "ada@example.com" },
			2,
			[
				`Access signing keys: refresh from https://${t.name}.cloudflareaccess.com/cdn-cgi/access/certs failed, keeping the previous keys`,
			],
		]);
		warn.mockRestore();
	});

	it("serves concurrent first requests on a cold isolate (each may fetch until keys arrive)", async () => {
		const t = team(access);
		const jwt = await sign(access, personClaims(t.name));
		const first = await Promise.all(Array.from({ length: 5 }, () => outcome(jwt, t.name)));
		expect(first).toEqual(Array(5).fill({ kind: "person", email: "ada@example.com" }));
	});

	it("refuses while the key endpoint is down, trying it at most once per cooldown", async () => {
		const t = team(access);
		t.status = 503;
		const jwt = await sign(access, personClaims(t.name));
		const down = [await outcome(jwt, t.name), await outcome(jwt, t.name, at(1_000)), t.fetches];
		t.status = 200;
		expect([...down, await outcome(jwt, t.name, afterCooldown)]).toEqual([
			{ refused: "keys-unavailable" },
			{ refused: "keys-unavailable" },
			1,
			{ kind: "person", email: "ada@example.com" },
		]);
	});
});

describe("configuration and the request", () => {
	it("reads the team domain in each documented form", () => {
		const forms = ["acme", "acme.cloudflareaccess.com", "https://acme.cloudflareaccess.com/", " ACME "];
		expect(forms.map(accessIssuer)).toEqual(Array(forms.length).fill("https://acme.cloudflareaccess.com"));
	});

	it("refuses a team domain that cannot be an Access team", () => {
		const bad = ["", "https://evil.example.com", "acme.cloudflareaccess.com.evil.example", "http://acme"];
		expect(bad.filter((domain) => !throwsTypeError(() => accessIssuer(domain)))).toEqual([]);
	});

	it("calls an empty audience a configuration error, not a refused token", async () => {
		const t = team(access);
		const jwt = await sign(access, personClaims(t.name));
		await expect(verifyAccessAssertion(jwt, { teamDomain: t.name, aud: "" }, NOW)).rejects.toThrow(TypeError);
	});

	it("takes the token from the Cf-Access-Jwt-Assertion header, never the cookie", () => {
		const fromHeader = new Request("https://tracker.example/", { headers: { "Cf-Access-Jwt-Assertion": "a.b.c" } });
		const cookieOnly = new Request("https://tracker.example/", { headers: { Cookie: "CF_Authorization=a.b.c" } });
		expect([readAccessAssertion(fromHeader), readAccessAssertion(cookieOnly)]).toEqual(["a.b.c", undefined]);
	});
});

function throwsTypeError(run: () => unknown): boolean {
	try {
		run();
		return false;
	} catch (error) {
		return error instanceof TypeError;
	}
}
