/** A static file the Worker serves itself (no CDN, no build step), under a fingerprinted URL. */
export type Asset = { path: string; readonly version: string; type: string; body: string };

/** FNV-1a, enough to tell versions of a file apart in its URL. */
export function fingerprint(text: string): string {
	let hash = 0x811c9dc5;
	for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
	return (hash >>> 0).toString(36);
}

export const assetUrl = (asset: Asset) => `${asset.path}?v=${asset.version}`;

/** The asset as a response; its URL is fingerprinted, so it may be cached for good. */
export function serveAsset(
	c: { body: (body: string, status: 200, headers: Record<string, string>) => Response },
	asset: Asset,
) {
	return c.body(asset.body, 200, {
		"Content-Type": `${asset.type}; charset=utf-8`,
		"Cache-Control": "public, max-age=31536000, immutable",
		"X-Content-Type-Options": "nosniff",
	});
}
