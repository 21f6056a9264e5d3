import type { StatusChange } from "../model/status";
import type { DeployPayload } from "../webhook/payload";

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
