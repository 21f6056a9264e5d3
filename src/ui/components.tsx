import { raw } from "hono/html";
import { type Child, Fragment, type PropsWithChildren } from "hono/jsx";
import type { integrationNames } from "../db/integrations";
import type { ErrorObject } from "../http/errors";

/** A moment as UTC text, upgraded to "3 hours ago" by the script. */
export function Time({ ms, relative = true }: { ms: number | null | undefined; relative?: boolean }) {
	if (ms === null || ms === undefined) return <span class="muted">—</span>;
	const iso = new Date(ms).toISOString();
	return (
		<time datetime={iso} data-relative={relative ? "" : undefined}>
			{`${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`}
		</time>
	);
}

export function StatusBadge({ status }: { status: string }) {
	return <span class={`badge ${status}`}>{status.replaceAll("_", " ")}</span>;
}

/** What a newcomer sees instead of an empty table: what to do next. */
export function Empty({ title, children }: PropsWithChildren<{ title: string }>) {
	return (
		<div class="panel empty">
			<p>
				<strong>{title}</strong>
			</p>
			{children}
		</div>
	);
}

/** A read-only value with a copy button (shown only when the script runs; selecting works without it). */
export function CopyField({ id, label, value }: { id: string; label: string; value: string }) {
	return (
		<label for={id}>
			{label}
			<span class="copy">
				<input id={id} type="text" readonly value={value} />
				<button type="button" class="secondary" data-copy={id}>
					Copy
				</button>
			</span>
		</label>
	);
}

/** A block of code with a copy button. */
export function CopyBlock({ id, code }: { id: string; code: string }) {
	return (
		<div>
			<pre id={id}>{code}</pre>
			<button type="button" class="secondary copy-block" data-copy={id}>
				Copy
			</button>
		</div>
	);
}

/** Why a form was refused, one line per problem. */
export function FormErrors({ errors }: { errors?: readonly ErrorObject[] }) {
	if (!errors?.length) return null;
	return (
		<div class="error" role="alert">
			<strong>That did not work:</strong>
			<ul>
				{errors.map((e) => (
					<li>{e.detail}</li>
				))}
			</ul>
		</div>
	);
}

/** A one-button form: an action that changes something is always a POST. */
export function ActionButton({
	action,
	label,
	variant,
	fields = {},
}: {
	action: string;
	label: string;
	variant?: "secondary" | "danger";
	fields?: Record<string, string>;
}) {
	return (
		<form method="post" action={action} class="inline">
			{Object.entries(fields).map(([name, value]) => (
				<input type="hidden" name={name} value={value} />
			))}
			<button type="submit" class={variant}>
				{label}
			</button>
		</form>
	);
}

/** "Newer" / "Older" links for keyset pages. */
export function Pager({ first, next }: { first?: string; next?: string | null }) {
	if (!first && !next) return null;
	return (
		<nav class="pager" aria-label="Pages">
			<span>{first && <a href={first}>« Newest</a>}</span>
			<span>{next && <a href={next}>Older »</a>}</span>
		</nav>
	);
}

/** A row as rendered (cell text is escaped, so `<tr` and `<td` only ever open elements). */
const ROW = /<tr[\s>][\s\S]*?<\/tr>/g;
const CELL = /<td(?=[\s>])/g;

/** Any JSX child as HTML, escaped as in a page. */
const html = async (node: Child) => String(await Fragment({ children: node }).toString());

/** Markup as text, its tags removed: what a heading reads, still escaped, so fit for an attribute. */
const textOf = async (node: Child) => (await html(node)).replace(/<[^>]*>/g, "");

/**
 * A list as a table; on a narrow screen its rows stack into cards, each cell
 * beside its column's heading (the stylesheet shows a cell's `data-label`).
 * The cells are labelled here, after rendering, so every table's rows stay
 * plain `<td>`s, wherever and however they are built.
 */
export async function Table({ head, children }: PropsWithChildren<{ head: Child[] }>) {
	const labels = await Promise.all(head.map(textOf));
	const rows = (await html(children)).replace(ROW, (row) => {
		let column = 0;
		return row.replace(CELL, () => `<td data-label="${labels[column++] ?? ""}"`);
	});
	return (
		<div class="table-wrap">
			<table>
				<thead>
					<tr>
						{head.map((h) => (
							<th>{h}</th>
						))}
					</tr>
				</thead>
				<tbody>{raw(rows)}</tbody>
			</table>
		</div>
	);
}

export type NamedIntegration = Awaited<ReturnType<typeof integrationNames>>[number];

/** An integration by name: linked while live; a revoked one has no page left, so it is named and marked. */
export function IntegrationName({ integration, id }: { integration: NamedIntegration | undefined; id: string }) {
	if (integration === undefined) return <span class="mono">{id}</span>;
	if (integration.revokedAt !== null) {
		return (
			<span>
				{integration.name} <span class="muted">(revoked)</span>
			</span>
		);
	}
	return <a href={`/integrations/${id}`}>{integration.name}</a>;
}

/**
 * A `<select>` of named things (services, teams) by id, after a first, empty
 * choice labelled `none` ("Any", "No team"), with `selected` chosen.
 */
export function NamedSelect({
	name,
	none,
	choices,
	selected,
	required,
}: {
	name: string;
	none: string;
	choices: readonly { id: string; name: string }[];
	selected?: string | null;
	required?: boolean;
}) {
	return (
		<select name={name} required={required}>
			<option value="">{none}</option>
			{choices.map((choice) => (
				<option value={choice.id} selected={choice.id === selected}>
					{choice.name}
				</option>
			))}
		</select>
	);
}
