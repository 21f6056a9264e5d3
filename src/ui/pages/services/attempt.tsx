import type { DeploySummary } from "../../../db/environments";
import { StatusBadge, Time } from "../../components";

/** A newer deploy that did not (or not yet) replace what runs: its number, status and age, linked. */
export function Attempt({
	id,
	deployNumber,
	status,
	deployedAt,
}: Pick<DeploySummary, "id" | "deployNumber" | "status" | "deployedAt">) {
	return (
		<div class="attempt">
			Newer attempt <a href={`/deploys/${id}`}>#{deployNumber}</a> <StatusBadge status={status} />{" "}
			<Time ms={deployedAt} />
		</div>
	);
}
