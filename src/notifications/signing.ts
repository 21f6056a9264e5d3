// Standard Webhooks signing (https://www.standardwebhooks.com): each delivery
// carries `webhook-id`, `webhook-timestamp` (Unix seconds) and
// `webhook-signature`, `v1,` + base64 HMAC-SHA256 of "{id}.{timestamp}.{body}"
// under the secret's key. Several signatures are separated by spaces.

const PREFIX = "whsec_";
/** Random bytes in a new secret's key: 256 bits, the HMAC's own size. */
const KEY_BYTES = 32;

const base64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const unbase64 = (text: string) => Uint8Array.from(atob(text), (ch) => ch.charCodeAt(0));

/** A new secret, `whsec_` and its base64 key, as receivers' libraries take it. */
export function newSecret(): string {
	return PREFIX + base64(crypto.getRandomValues(new Uint8Array(KEY_BYTES)));
}

async function signOne(secret: string, content: Uint8Array): Promise<string> {
	const key = await crypto.subtle.importKey(
		"raw",
		unbase64(secret.slice(PREFIX.length)),
		{ name: "HMAC", hash: "SHA-256" },
		false,
		["sign"],
	);
	return `v1,${base64(new Uint8Array(await crypto.subtle.sign("HMAC", key, content)))}`;
}

/** The `webhook-signature` value: one signature per secret in force, newest first. */
export async function signature(secrets: string[], id: string, timestamp: number, body: string): Promise<string> {
	const content = new TextEncoder().encode(`${id}.${timestamp}.${body}`);
	return (await Promise.all(secrets.map((secret) => signOne(secret, content)))).join(" ");
}

/** A stable id for `parts`: `msg_` and 128 bits of their SHA-256, the same for the same parts everywhere. */
export async function stableId(...parts: string[]): Promise<string> {
	const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(parts.join("\n")));
	const hex = [...new Uint8Array(digest).slice(0, 16)].map((b) => b.toString(16).padStart(2, "0")).join("");
	return `msg_${hex}`;
}
