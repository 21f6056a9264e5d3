import { z } from "zod";
import type { Service } from "../../../db/catalog";
import type { Team } from "../../../db/teams";
import { deployFilters } from "../../../deploys/query";
import { DAY } from "../../../http/datetime";
import { object, optionalText, validate } from "../../../http/validation";
import { STATUSES } from "../../../model/status";
import { NamedSelect } from "../../components";

/** The filters a link may carry: the API's, so a URL works the same on both. */
type FilterName = keyof typeof deployFilters;
const FILTER_NAMES = Object.keys(deployFilters) as FilterName[];
/** Filters with a field of their own in the form; the others ride along hidden. */
const SHOWN: readonly FilterName[] = ["service", "team", "environment", "deployer", "status", "from", "to"];

/** A date input's day as the instant it starts (UTC), which the API's date-time schema takes. */
const dayStart = (value: unknown) =>
	typeof value === "string" && value.trim() !== "" ? `${value.trim()}T00:00:00Z` : value;

const pageQuery = object({
	...deployFilters,
	from: z.preprocess(dayStart, deployFilters.from),
	to: z.preprocess(dayStart, deployFilters.to),
	cursor: optionalText({ max: 512 }),
});

/** The request's filters, validated, with `to` covering its whole day (the schema reads its first instant). */
export function listQuery(raw: Record<string, string>) {
	const query = validate(pageQuery, raw);
	return { ...query, to: query.to === undefined ? undefined : query.to + DAY };
}

export type Filters = Partial<Record<FilterName, string>>;

/** The non-blank filters of the request, as typed: what the form shows and the links carry. */
export function filtersOf(query: Record<string, string>): Filters {
	return Object.fromEntries(FILTER_NAMES.flatMap((name) => (query[name]?.trim() ? [[name, query[name]]] : [])));
}

export function FilterForm({ filters, services, teams }: { filters: Filters; services: Service[]; teams: Team[] }) {
	// A service given by alias (a suggestion's link) has no option of its own; keep it selected.
	const unlisted = filters.service && !services.some((s) => s.id === filters.service) ? filters.service : undefined;
	return (
		<form method="get" action="/deploys" class="filters">
			{FILTER_NAMES.filter((name) => !SHOWN.includes(name) && filters[name]).map((name) => (
				<input type="hidden" name={name} value={filters[name]} />
			))}
			<label>
				Service
				<select name="service">
					<option value="">Any</option>
					{unlisted && (
						<option value={unlisted} selected>
							{unlisted}
						</option>
					)}
					{services.map((s) => (
						<option value={s.id} selected={s.id === filters.service}>
							{s.name}
						</option>
					))}
				</select>
			</label>
			{teams.length > 0 && (
				<label>
					Team
					<NamedSelect name="team" none="Any" choices={teams} selected={filters.team} />
				</label>
			)}
			<label>
				Environment
				<input name="environment" value={filters.environment ?? ""} />
			</label>
			<label>
				Deployer
				<input name="deployer" type="text" inputmode="email" placeholder="e-mail" value={filters.deployer ?? ""} />
			</label>
			<label>
				Status
				<select name="status">
					<option value="">Any</option>
					{STATUSES.map((status) => (
						<option value={status} selected={status === filters.status}>
							{status.replaceAll("_", " ")}
						</option>
					))}
				</select>
			</label>
			<label>
				From
				<input name="from" type="date" value={filters.from ?? ""} />
			</label>
			<label>
				To
				<input name="to" type="date" value={filters.to ?? ""} />
			</label>
			<div>
				<button type="submit">Filter</button>
			</div>
		</form>
	);
}
