import { defineConfig } from "drizzle-kit";

// `npm run db:generate` writes SQL migrations here; `wrangler d1 migrations apply DB` applies them.
export default defineConfig({
	dialect: "sqlite",
	// Incidents and notifications are apart: their tables refer to services, which schema.ts defines.
	schema: ["./src/db/schema.ts", "./src/db/incidents-schema.ts", "./src/db/notifications-schema.ts"],
	out: "./migrations",
});
