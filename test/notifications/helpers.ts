import { expect } from "vitest";
import { admin } from "../helpers";

/** Polls `read` until `done` holds for its value, or gives up after `ms` and answers the last value (for the assertion to explain). */
export async function eventually<T>(read: () => Promise<T> | T, done: (value: T) => boolean, ms = 15_000): Promise<T> {
	const deadline = Date.now() + ms;
	for (;;) {
		const value = await read();
		if (done(value) || Date.now() > deadline) return value;
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
}

/** POST /api/notifications with these fields (a webhook for every event unless told), insisting on a 201. */
export async function subscribe(fields: Record<string, unknown>) {
	const res = await admin("POST", "/notifications", { name: "Deploys", kind: "webhook", ...fields });
	expect(res.status, JSON.stringify(res.body)).toBe(201);
	return res.body as { id: string; secret: string | null; events: string[] };
}

export type Delivery = { id: string; event: string; state: string; attempts: number; last_error: string | null };

/** A subscription's delivery log, newest first. */
export async function deliveriesOf(subscriptionId: string): Promise<Delivery[]> {
	const res = await admin("GET", `/notifications/${subscriptionId}/deliveries`);
	expect(res.status).toBe(200);
	return res.body.deliveries;
}
