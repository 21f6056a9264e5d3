// The layers of src/ and what each may import; `npm run check` runs these
// rules (`npm run check:layers`), and the README's "Architecture" explains them.
//
//   index.ts            composes everything; nothing imports it
//   api/  ui/           thin HTTP over the domain; never import each other
//   webhook/            the OpsLevel contract; no api/ or ui/
//   catalog/ deploys/ metrics/ audit/ access/ retention/ pipelines/ cost/
//   notifications/
//                       the domain: the rules both api/ and ui/ stand on
//   ledger/             the Durable Object; no api/, ui/ or domain above it
//   db/                 Drizzle schema and queries only
//   http/  model/       shared helpers and vocabulary; import nothing above them
//                       (model/ names the webhook payload's type, type-only)

/**
 * A path regex for these folders of src/.
 * @param {...string} folders
 */
const under = (...folders) => `^src/(${folders.join("|")})/`;

const EDGES = ["api", "ui"];
const DOMAIN = [
	"catalog",
	"deploys",
	"incidents",
	"metrics",
	"audit",
	"access",
	"retention",
	"pipelines",
	"cost",
	"notifications",
];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
	forbidden: [
		{
			name: "no-cycles",
			severity: "error",
			comment: "Modules that import each other cannot be understood, tested or moved one at a time.",
			from: { path: "^src/" },
			to: { circular: true },
		},
		{
			name: "ui-not-api",
			severity: "error",
			comment: "The UI stands on the domain modules, as the API does; what both need belongs in the domain.",
			from: { path: under("ui") },
			to: { path: under("api") },
		},
		{
			name: "api-not-ui",
			severity: "error",
			comment: "The API stands on the domain modules, as the UI does; what both need belongs in the domain.",
			from: { path: under("api") },
			to: { path: under("ui") },
		},
		{
			name: "webhook-not-edges",
			severity: "error",
			comment: "The webhook contract answers pipelines on its own; it may not depend on the API or the pages.",
			from: { path: under("webhook") },
			to: { path: under(...EDGES) },
		},
		{
			name: "domain-not-edges",
			severity: "error",
			comment: "The domain holds the rules the API, the UI and the webhook share, so it cannot import any of them.",
			from: { path: under(...DOMAIN) },
			to: { path: under(...EDGES, "webhook") },
		},
		{
			name: "ledger-not-above",
			severity: "error",
			comment: "The Durable Object writes through db/; the domain and the edges call it, never the reverse.",
			from: { path: under("ledger") },
			to: { path: under(...EDGES, ...DOMAIN.filter((d) => d !== "cost" && d !== "retention")) },
		},
		{
			name: "db-is-queries",
			severity: "error",
			comment: "db/ holds the Drizzle schema and queries only: no audit, ledger, domain or HTTP.",
			from: { path: under("db") },
			to: { path: "^src/", pathNot: [under("db", "model"), "^src/env\\.ts$"] },
		},
		{
			name: "shared-is-leaf",
			severity: "error",
			comment: "http/ and model/ are used by every layer, so they import nothing above them.",
			from: { path: under("http", "model") },
			to: { path: "^src/", pathNot: [under("http", "model"), "^src/webhook/payload\\.ts$"] },
		},
		{
			name: "model-names-the-payload-type-only",
			severity: "error",
			comment:
				"model/ may name the webhook payload's type (an accepted deploy carries it), never its code: no runtime import.",
			from: { path: under("model") },
			to: { path: "^src/webhook/payload\\.ts$", dependencyTypesNot: ["type-only"] },
		},
		{
			name: "queries-live-in-db",
			severity: "error",
			comment: "Drizzle is db/'s business: every other layer asks db/ for what it needs by name.",
			from: { path: "^src/", pathNot: under("db") },
			to: { path: "node_modules/drizzle-orm/" },
		},
		{
			name: "nothing-imports-index",
			severity: "error",
			comment: "src/index.ts only composes; a module importing it would pull in the whole app.",
			from: { path: "^src/" },
			to: { path: "^src/index\\.ts$" },
		},
		{
			name: "src-not-tests",
			severity: "error",
			comment: "The Worker never ships test code.",
			from: { path: "^src/" },
			to: { path: "^(test|bench)/" },
		},
		{
			name: "no-unresolvable",
			severity: "error",
			comment: "An import that resolves to nothing would fail the build.",
			from: {},
			to: { couldNotResolve: true },
		},
	],
	options: {
		doNotFollow: { path: "node_modules" },
		tsPreCompilationDeps: true,
		combinedDependencies: false,
		enhancedResolveOptions: {
			extensions: [".ts", ".tsx", ".js", ".mjs"],
			// Packages' subpaths (hono/factory, drizzle-orm/d1…) resolve through their exports maps.
			exportsFields: ["exports"],
			conditionNames: ["import", "types", "workerd", "worker", "default"],
		},
		// The runtime's own modules.
		builtInModules: { add: ["cloudflare:workers"] },
		reporterOptions: { text: { highlightFocused: true } },
	},
};
