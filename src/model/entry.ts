// Vocabulary: what a deploy is once accepted. Types only; the payload's shape is the webhook contract's.
import type { DeployPayload } from "../webhook/payload";
import type { StatusChange } from "./status";

/** What a pipeline asked the ledger to record, after validation. */
export type DeployRequest = {
	integrationId: string;
	/** The client's name for itself, e.g. `jenkins-2.1` from the Jenkins plugin's `?agent=`. */
	agent: string | null;
	payload: DeployPayload;
};

/** A deploy the ledger accepted: durable in the Durable Object, and sooner or later in D1. */
export type LedgerEntry = DeployRequest & {
	/** The service the alias matched when the deploy arrived; null records a suggestion. */
	serviceId: string | null;
	id: string;
	deployNumber: string;
	receivedAt: number;
	/** Every status the pipeline reported that moved the deploy forward, oldest first. */
	statuses: StatusChange[];
};

/** A deploy an import brings (see webhook/import.ts), keyed for dedup even when it has no dedup_id. */
export type ImportedDeploy = DeployRequest & {
	/** What makes a repeat a duplicate: the dedup_id, or a key the import derives from the line. */
	key: string;
	/** When the tracker it came from received it (export lines); null: now. */
	receivedAt: number | null;
	/** Its id in the export it came from: a ledger that already holds that id takes it as a duplicate. */
	sourceId: string | null;
};
