import { defineConfig } from "drizzle-kit";

// `npm run db:generate` writes SQL migrations here; `wrangler d1 migrations apply DB` applies them.
export default defineConfig({
	dialect: "sqlite",
	schema: "./src/db/schema.ts",
	out: "./migrations",
});
