import { createLocalJWKSet, errors, type JWSHeaderParameters, type JWTVerifyGetKey } from "jose";

/**
 * The Access team's signing keys, cached per isolate and per team.
 *
 * Why not jose's createRemoteJWKSet: its cooldown starts when a fetch
 * *succeeds*, and inside workerd it deliberately drops its shared in-flight
 * fetch (one request's fetch cannot safely be awaited by another), so
 * concurrent tokens with made-up key ids each start a fetch (20 of 20 in a
 * trial). Here the cooldown starts when a fetch is *attempted*, recorded
 * before the first await: once an isolate holds a team's keys, at most one
 * fetch per REFETCH_COOLDOWN_MS leaves it. Before the first keys arrive,
 * concurrent requests may each fetch, so none is refused for being early.
 * Key selection and import stay jose's (createLocalJWKSet); only the cache is ours.
 */

/** Keys older than this are refetched: a key Access removed stops working within this time (if the endpoint answers). */
export const KEYS_MAX_AGE_MS = 10 * 60_000;
/** The least time between two fetch attempts for one team, whatever their outcome. */
export const REFETCH_COOLDOWN_MS = 30_000;
/** A key endpoint that does not answer in this time counts as a failed attempt. */
const FETCH_TIMEOUT_MS = 5_000;

interface TeamKeys {
	/** jose's resolver over the last key set fetched successfully. */
	resolve?: ReturnType<typeof createLocalJWKSet>;
	loadedAt: number;
	attemptedAt: number;
	/** Fetches in flight: while no keys were ever loaded, concurrent requests may each try. */
	loading: number;
}

/** Per isolate: lives as long as the isolate, shared by its requests. Keyed by the certs URL. */
const cache = new Map<string, TeamKeys>();

/** Why a key could not be found: becomes the AccessDenied reason in jwt.ts. */
export class KeysUnavailable extends Error {}

/** The key getter jose's jwtVerify calls once the header's alg is accepted. */
export function accessKeys(certsUrl: string, now: number): JWTVerifyGetKey {
	return async (header, token) => {
		const team = teamKeys(certsUrl);
		const stale = !team.resolve || now - team.loadedAt >= KEYS_MAX_AGE_MS;
		if (stale && mayFetch(team, now)) await refresh(certsUrl, team, now);
		try {
			return await resolveWith(team, header, token);
		} catch (error) {
			// An unknown key id: the team may have rotated its key. Look once, not per token.
			if (!(error instanceof errors.JWKSNoMatchingKey) || !mayFetch(team, now)) throw error;
			await refresh(certsUrl, team, now);
			return resolveWith(team, header, token);
		}
	};
}

function teamKeys(certsUrl: string): TeamKeys {
	let team = cache.get(certsUrl);
	if (!team) {
		team = { loadedAt: Number.NEGATIVE_INFINITY, attemptedAt: Number.NEGATIVE_INFINITY, loading: 0 };
		cache.set(certsUrl, team);
	}
	return team;
}

function mayFetch(team: TeamKeys, now: number): boolean {
	const neverLoadedButLoading = !team.resolve && team.loading > 0;
	return neverLoadedButLoading || now - team.attemptedAt >= REFETCH_COOLDOWN_MS;
}

function resolveWith(team: TeamKeys, header: JWSHeaderParameters, token: Parameters<JWTVerifyGetKey>[1]) {
	if (!team.resolve) throw new KeysUnavailable("the team's signing keys could not be loaded");
	return team.resolve(header, token);
}

/** Fetches the key set. A failure keeps the previous keys (and says so in the log); with none, the token is refused. */
async function refresh(certsUrl: string, team: TeamKeys, now: number): Promise<void> {
	team.attemptedAt = now;
	team.loading += 1;
	try {
		const response = await fetch(certsUrl, {
			headers: { accept: "application/json" },
			redirect: "manual",
			signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
		});
		if (response.status !== 200) throw new Error(`key endpoint answered ${response.status}`);
		// createLocalJWKSet refuses anything that is not a JWK set.
		team.resolve = createLocalJWKSet(await response.json());
		team.loadedAt = now;
	} catch (cause) {
		if (!team.resolve) throw new KeysUnavailable("the team's signing keys could not be loaded", { cause });
		console.warn(`Access signing keys: refresh from ${certsUrl} failed, keeping the previous keys`, cause);
	} finally {
		team.loading -= 1;
	}
}
