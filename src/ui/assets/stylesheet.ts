/** The width of the charts' drawing in its own units: the viewBox of src/ui/chart.tsx. */
const CHART_UNITS = 420;
/** The smallest a chart's label may be drawn, in CSS pixels. */
const CHART_LABEL_PX = 11;

/** Chart widths, in CSS px, below which the labels step up: down to 240, a chart on a screen about 300 px wide. */
const CHART_STEPS = [360, 300, 240];

/**
 * A chart's text is sized in its drawing's units and shrinks as the chart
 * does: on a chart narrower than its drawing, the text is set larger, in steps,
 * each large enough to be drawn at CHART_LABEL_PX at the narrowest width of its step.
 */
const chartLabels = CHART_STEPS.map((narrowest, i) => {
	const below = CHART_STEPS[i - 1] ?? CHART_UNITS;
	const size = Math.ceil(((CHART_LABEL_PX * CHART_UNITS) / narrowest) * 10) / 10;
	return `@container (width < ${below}px) { .chart text { font-size: ${size}px; } }`;
}).join("\n");

/** The UI's one stylesheet: system fonts, a light and a dark palette, readable from phone to laptop. */
export const stylesheet = `
:root {
	color-scheme: light dark;
	--bg: #f7f8fa; --panel: #fff; --text: #1d2330; --muted: #5d6778; --line: #dfe3ea;
	--accent: #2f5bea; --accent-text: #fff; --ok: #137a3a; --warn: #9a6400; --bad: #b42318; --code: #f0f2f6;
	--radius: 8px; --sans: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; font: 15px/1.5 var(--sans);
}
@media (prefers-color-scheme: dark) {
	:root {
		--bg: #12151b; --panel: #1a1e26; --text: #e6e9ef; --muted: #9aa3b2; --line: #2c3340;
		--accent: #7c9cff; --accent-text: #0b1020; --ok: #4cc47a; --warn: #e0a84a; --bad: #ff7a6e; --code: #232936;
	}
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text); }
/* Underlined, so a link in a sentence or a cell stands out without its colour; the nav, tabs, tiles and buttons are links by their place and shape. */
a { color: var(--accent); text-decoration: underline; text-decoration-thickness: from-font; text-underline-offset: 0.15em; }
header.top a, .tabs a, a.tile, a.button, a.skip { text-decoration: none; }
header.top a:hover, .tabs a:hover { text-decoration: underline; }
/* One focus ring for everything the keyboard reaches, in the accent colour (3:1 or more against either palette's backgrounds). */
:focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
/* Off screen until the keyboard reaches it: the first stop on every page. */
a.skip { position: absolute; left: 0.5rem; top: -10rem; z-index: 1; background: var(--panel); border: 1px solid var(--line); border-radius: var(--radius); padding: 0.5rem 1rem; }
a.skip:focus { top: 0.5rem; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.9em; }
/* Long lines wrap rather than scroll: on a phone no part of a page moves sideways, and there is no scroll area the keyboard cannot reach. */
pre { background: var(--code); padding: 0.8rem 1rem; border-radius: var(--radius); white-space: pre-wrap; overflow-wrap: anywhere; }
header.top { background: var(--panel); border-bottom: 1px solid var(--line); }
header.top nav { max-width: 72rem; margin: 0 auto; padding: 0.6rem 1rem; display: flex; flex-wrap: wrap; gap: 0.25rem 1rem; align-items: center; }
header.top .brand { font-weight: 700; color: var(--text); margin-right: 1rem; }
header.top nav a.current { font-weight: 600; text-decoration: underline; text-underline-offset: 0.3em; }
header.top .who { margin-left: auto; color: var(--muted); }
header.top .who .role { font-size: 0.8em; border: 1px solid var(--line); border-radius: 0.3em; padding: 0 0.35em; }
header.top .who + form { margin-left: 0; }
header.top form { margin-left: auto; }
main { max-width: 72rem; margin: 0 auto; padding: 1.25rem 1rem 3rem; }
footer.bottom { max-width: 72rem; margin: 0 auto; padding: 0 1rem 2rem; font-size: 0.9rem; }
h1 { font-size: 1.5rem; margin: 0.2rem 0 1rem; }
h2 { font-size: 1.15rem; margin: 1.8rem 0 0.6rem; }
.muted { color: var(--muted); }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: var(--radius); padding: 1rem; }
.notice { border-left: 4px solid var(--ok); background: var(--panel); padding: 0.6rem 1rem; border-radius: var(--radius); margin-bottom: 1rem; }
.error { border-left: 4px solid var(--bad); background: var(--panel); padding: 0.6rem 1rem; border-radius: var(--radius); margin-bottom: 1rem; }
.error ul { margin: 0.3rem 0 0; padding-left: 1.2rem; }
.empty { text-align: center; padding: 2rem 1rem; color: var(--muted); }
.empty pre { text-align: left; color: var(--text); }
.heading { display: flex; flex-wrap: wrap; align-items: baseline; gap: 0.5rem 1rem; }
.heading .actions { margin-left: auto; display: flex; gap: 0.5rem; }
.table-wrap { overflow-x: auto; background: var(--panel); border: 1px solid var(--line); border-radius: var(--radius); }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; padding: 0.5rem 0.75rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 0.8rem; text-transform: uppercase; letter-spacing: 0.03em; color: var(--muted); font-weight: 600; }
tr:last-child td { border-bottom: 0; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.4rem 1.25rem; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.badge { display: inline-block; padding: 0 0.5rem; border-radius: 999px; font-size: 0.8rem; border: 1px solid currentColor; white-space: nowrap; }
.badge.success { color: var(--ok); } .badge.failure, .badge.rolled_back { color: var(--bad); }
.badge.in_progress, .badge.queued { color: var(--warn); } .badge.no_status, .badge.cancelled { color: var(--muted); }
.tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(13rem, 1fr)); gap: 1rem; }
.tile { display: block; background: var(--panel); border: 1px solid var(--line); border-radius: var(--radius); padding: 1rem; color: var(--text); }
.tile:hover { border-color: var(--accent); text-decoration: none; }
.tile strong { display: block; font-size: 1.05rem; margin-bottom: 0.25rem; }
.tile span { color: var(--muted); font-size: 0.9rem; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(12rem, 1fr)); gap: 1rem; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: var(--radius); padding: 0.8rem 1rem; }
.card .figure { font-size: 1.5rem; font-weight: 650; }
.card .label { color: var(--muted); font-size: 0.85rem; }
.stack { display: grid; gap: 0.9rem; max-width: 32rem; }
form.filters { display: grid; grid-template-columns: repeat(auto-fill, minmax(10rem, 1fr)); gap: 0.6rem; align-items: end; margin-bottom: 1rem; }
form.inline { display: inline-flex; gap: 0.4rem; align-items: flex-end; flex-wrap: wrap; margin: 0; }
label { display: grid; gap: 0.25rem; font-weight: 500; }
label small { font-weight: 400; color: var(--muted); }
/* A checkbox beside its words, in a fieldset of choices (the notification events). */
fieldset { border: 1px solid var(--line); border-radius: 6px; display: grid; gap: 0.4rem; }
label.check { display: flex; align-items: center; gap: 0.5rem; font-weight: 400; }
label.check input { height: auto; }
input, select { height: 2.3rem; }
input, select, textarea { font: inherit; color: var(--text); background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 0.4rem 0.6rem; min-width: 0; }
textarea { min-height: 5rem; }
button, .button { font: inherit; display: inline-block; cursor: pointer; border-radius: 6px; padding: 0.4rem 0.9rem; border: 1px solid var(--accent); background: var(--accent); color: var(--accent-text); }
button.secondary, .button.secondary { background: transparent; color: var(--accent); }
/* Text as on the accent buttons: white on the light palette's dark red, dark on the dark palette's light red. */
button.danger { background: var(--bad); border-color: var(--bad); color: var(--accent-text); }
button.link { background: none; border: 0; padding: 0; color: var(--accent); }
.copy { display: flex; gap: 0.5rem; align-items: center; }
.copy input { flex: 1; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
[data-copy] { display: none; }
.js [data-copy] { display: inline-block; }
.pager { display: flex; justify-content: space-between; margin-top: 0.8rem; }
.chart { container-type: inline-size; }
/* Visible overflow: a label centred on the last slot may reach past the drawing's edge into the panel's padding. */
.chart svg { width: 100%; height: auto; display: block; overflow: visible; }
.chart .bar { fill: var(--accent); } .chart .line { stroke: var(--ok); fill: none; stroke-width: 2; }
.chart .dot { fill: var(--ok); } .chart text { fill: var(--muted); font-size: ${CHART_LABEL_PX}px; } .chart .grid { stroke: var(--line); }
${chartLabels}
.grid-2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(20rem, 1fr)); gap: 1rem; }
.cards + .grid-2 { margin-top: 1rem; }
.panel > h3:first-child { margin: 0 0 0.5rem; font-size: 1rem; }
details summary { cursor: pointer; }
.section-head { display: flex; flex-wrap: wrap; justify-content: space-between; align-items: flex-end; gap: 0.5rem 1rem; margin-bottom: 1rem; }
.section-head p { margin: 0; }
form.inline label { display: inline-flex; align-items: center; gap: 0.4rem; }
.badge.running { color: var(--warn); } .badge.canceled { color: var(--muted); }
.tabs { display: flex; gap: 1.25rem; border-bottom: 1px solid var(--line); margin-bottom: 1rem; }
.tabs a { padding: 0.3rem 0; }
.tabs a.current { font-weight: 600; border-bottom: 2px solid var(--accent); }
.attempt { font-size: 0.85rem; color: var(--muted); margin-top: 0.15rem; }
.actions-cell { display: flex; flex-wrap: wrap; gap: 0.5rem 1rem; align-items: end; }
@media (max-width: 40rem) {
	.hide-narrow, .table-wrap td.hide-narrow { display: none; }
	/* Tables become a card per row, each cell beside its column's heading (data-label), the headings row kept for screen readers only. */
	.table-wrap { overflow: visible; background: none; border: 0; }
	.table-wrap table, .table-wrap tbody, .table-wrap tr { display: block; }
	.table-wrap thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
	.table-wrap tr { background: var(--panel); border: 1px solid var(--line); border-radius: var(--radius); padding: 0.4rem 0.75rem; margin-bottom: 0.6rem; }
	/* The label floats in the cell's left padding; flow-root makes the cell as tall as a label that wraps. */
	.table-wrap td { --label: 8rem; display: flow-root; border: 0; padding: 0.3rem 0 0.3rem var(--label); overflow-wrap: break-word; }
	.table-wrap td::before { content: attr(data-label); float: left; width: calc(var(--label) - 0.5rem); margin-left: calc(-1 * var(--label)); color: var(--muted); font: 600 0.8rem/1.8 var(--sans); text-transform: uppercase; letter-spacing: 0.03em; }
	.table-wrap td:empty { display: none; }
	form.inline label { flex-wrap: wrap; }
	/* A select is as wide as its longest option: a long service name must not push the page sideways. */
	form.inline, form.inline label, form.inline select { max-width: 100%; min-width: 0; }
}
/* DORA figures: each card's change since the previous period, band and explanation; a chart's partial last week. */
.card .change, .card .band { font-size: 0.85rem; margin-top: 0.3rem; }
.card .change.better .verdict { color: var(--ok); font-weight: 600; } .card .change.worse .verdict { color: var(--bad); font-weight: 600; }
.card .explain { margin: 0.5rem 0 0; padding-top: 0.4rem; border-top: 1px solid var(--line); font-size: 0.85rem; color: var(--muted); }
.chart .bar.partial { fill: none; stroke: var(--accent); stroke-width: 1.5; stroke-dasharray: 4 3; }
.chart .line.partial { stroke-dasharray: 4 3; } .chart .dot.partial { fill: var(--panel); stroke: var(--ok); stroke-width: 2; }
.panel > h3 + p.muted { margin: 0 0 0.5rem; font-size: 0.85rem; }
.chart .chart-legend { margin: 0.3rem 0 0; font-size: 0.85rem; color: var(--muted); }
.chart .chart-legend svg { display: inline-block; width: 0.9em; height: 0.9em; margin-right: 0.35em; vertical-align: -0.1em; overflow: visible; }
/* Deploy lists and audit log (issue 11, lists): summary line, one-line descriptions, table notes, audit details. */
.list-summary { margin: 0 0 0.6rem; }
/* One line on wide screens (the full text is its title); on a phone it wraps. */
@media (min-width: 40.01rem) { td.description { max-width: 18rem; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; } }
.table-note { font-size: 0.85rem; margin-top: 0.4rem; }
.audit-details { margin: 0; } .audit-details dt { display: inline; color: var(--muted); }
.audit-details dt::after { content: ": "; } .audit-details dd { display: inline; margin: 0 0.75rem 0 0; }
/* Integrations: a silent endpoint's badge, the setup fold's heading beside its marker, a test deploy's answer. */
.badge.silent { color: var(--warn); } .test-answer { margin-top: 1rem; }
/* Services: an archived one, wherever it is named. */
.badge.archived { color: var(--muted); }
details.setup > summary h2 { display: inline-block; margin-bottom: 0.5rem; }
`;
