import { HttpResponse, http } from "msw";
import { setupServer } from "msw/node";

/**
 * Receivers for the notification tests: any https://<name>.receiver.test URL
 * answers through MSW (as the Access key endpoint does in test/access), so
 * the consumer's real fetch, headers and body are seen as a receiver sees
 * them. Each receiver answers the statuses it was given, in turn, then 200.
 */
export type Received = { headers: Record<string, string>; body: string };
/** `answered` counts the requests answered, which a slow receiver (`delayMs`) does only after its delay. */
type Receiver = { url: string; received: Received[]; answered: number; answers: number[]; delayMs: number };

const receivers = new Map<string, Receiver>();

export function receiver(name: string, answers: number[] = [], delayMs = 0): Receiver {
	const created = {
		url: `https://${name}.receiver.test/hook`,
		received: [],
		answered: 0,
		answers: [...answers],
		delayMs,
	};
	receivers.set(`${name}.receiver.test`, created);
	return created;
}

export const receiverServer = setupServer(
	http.post("https://*.receiver.test/hook", async ({ request }) => {
		const found = receivers.get(new URL(request.url).hostname);
		if (!found) return new HttpResponse(null, { status: 404 });
		found.received.push({ headers: Object.fromEntries(request.headers), body: await request.text() });
		if (found.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, found.delayMs));
		found.answered += 1;
		return new HttpResponse(null, { status: found.answers.shift() ?? 200 });
	}),
);
