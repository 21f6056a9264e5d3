/** Bytes as lower-case hex, two digits each: how ids, secrets, digests and signatures are written. */
export const hex = (bytes: ArrayBuffer | Uint8Array): string =>
	Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");

/** `text`'s SHA-256, in hex. */
export async function sha256Hex(text: string): Promise<string> {
	return hex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}
