import type { Ledger } from "./ledger";

/** The integration's ledger: one Durable Object per integration, named by its id. */
export const ledgerFor = (ledgers: DurableObjectNamespace<Ledger>, integrationId: string) =>
	ledgers.getByName(integrationId);
