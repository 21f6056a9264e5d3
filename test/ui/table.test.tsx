import type { JSX } from "hono/jsx/jsx-runtime";
import { describe, expect, it } from "vitest";
import { Table } from "../../src/ui/components";

/** A row built by a component of its own, the way pages build some of theirs. */
function Pair({ left, right }: { left: string; right: string }) {
	return (
		<>
			<td class="mono">{left}</td>
			<td>{right}</td>
		</>
	);
}

/** JSX as HTML (Table is async, so rendering it is too). */
const render = async (node: JSX.Element) => String(await node.toString());

/** Each row's cells as [label, text]. */
const labelled = (html: string) =>
	[...html.matchAll(/<tr>([\s\S]*?)<\/tr>/g)]
		.slice(1)
		.map((row) =>
			[...(row[1] ?? "").matchAll(/<td data-label="([^"]*)"[^>]*>([\s\S]*?)<\/td>/g)].map((m) => [m[1], m[2]]),
		);

describe("Table", () => {
	it("labels every cell with its column's heading, however the row was built", async () => {
		const html = await render(
			<Table head={["Name", <span class="hide-narrow">Kind</span>, "Count"]}>
				<tr>
					<td>a</td>
					<Pair left="b" right="c" />
				</tr>
				{[1, 2].map((n) => (
					<tr>
						{n === 1 && <td>only first</td>}
						<td>{`n${n}`}</td>
					</tr>
				))}
			</Table>,
		);

		expect(labelled(html)).toEqual([
			[
				["Name", "a"],
				["Kind", "b"],
				["Count", "c"],
			],
			[
				["Name", "only first"],
				["Kind", "n1"],
			],
			[["Name", "n2"]],
		]);
	});

	it("keeps a heading's quotes and markup characters escaped inside the attribute", async () => {
		const html = await render(
			<Table head={[`"><script>alert(1)</script>`, "Tom & Jerry's"]}>
				<tr>
					<td>{"<b>cell</b>"}</td>
					<td>x</td>
				</tr>
			</Table>,
		);

		expect(html).not.toContain("<script>");
		expect(html).not.toContain("<b>");
		expect(labelled(html)).toEqual([
			[
				["&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;b&gt;cell&lt;/b&gt;"],
				["Tom &amp; Jerry&#39;s", "x"],
			],
		]);
	});
});
