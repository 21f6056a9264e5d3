/**
 * A token bucket: `burst` requests at once, refilled at `perSecond`. One per
 * ledger, so one runaway pipeline is slowed without touching other
 * integrations. It lives in memory on purpose: the ledger sees every request
 * of its integration, and an evicted object starting with a full bucket only
 * ever forgives, while persisting it would cost a write per request.
 */
export class RateLimit {
	private tokens: number;
	private updatedAt: number;

	constructor(
		readonly burst: number,
		readonly perSecond: number,
		now = Date.now(),
	) {
		this.tokens = burst;
		this.updatedAt = now;
	}

	/** Takes one token: 0 when there was one, else the whole seconds until there will be. */
	take(now = Date.now()): number {
		this.tokens = Math.min(this.burst, this.tokens + ((now - this.updatedAt) / 1000) * this.perSecond);
		this.updatedAt = now;
		if (this.tokens >= 1) {
			this.tokens -= 1;
			return 0;
		}
		return Math.max(1, Math.ceil((1 - this.tokens) / this.perSecond));
	}
}

/** Defaults: a monorepo release fanning out to a couple of thousand services fits in one burst. */
const DEFAULT_BURST = 2_000;
const DEFAULT_PER_SECOND = 20;

/** The limit from the Worker's variables, falling back to the defaults for anything unset or not a positive number. */
export function rateLimitFrom(env: { WEBHOOK_BURST?: string; WEBHOOK_PER_SECOND?: string }): RateLimit {
	const positive = (value: string | undefined, fallback: number) => {
		const n = Number(value);
		return value !== undefined && Number.isFinite(n) && n > 0 ? n : fallback;
	};
	return new RateLimit(
		positive(env.WEBHOOK_BURST, DEFAULT_BURST),
		positive(env.WEBHOOK_PER_SECOND, DEFAULT_PER_SECOND),
	);
}
