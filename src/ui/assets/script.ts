/**
 * The UI's only script, a progressive enhancement: every page works without
 * it. It adds copy buttons and turns absolute times into relative ones.
 */
export const script = `
document.documentElement.classList.add("js");
for (const button of document.querySelectorAll("[data-copy]")) {
	button.addEventListener("click", async () => {
		const source = document.getElementById(button.dataset.copy);
		if (!source) return;
		try {
			await navigator.clipboard.writeText(source.value ?? source.textContent);
		} catch {
			source.select?.();
			document.execCommand("copy");
		}
		const label = button.textContent;
		button.textContent = "Copied";
		setTimeout(() => { button.textContent = label; }, 1500);
	});
}
const units = [["year", 31536e6], ["month", 2592e6], ["week", 6048e5], ["day", 864e5], ["hour", 36e5], ["minute", 6e4]];
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "always" });
function ago(at) {
	const delta = at - Date.now();
	for (const [unit, ms] of units) if (Math.abs(delta) >= ms) return relative.format(Math.round(delta / ms), unit);
	return "just now";
}
function refresh() {
	for (const time of document.querySelectorAll("time[data-relative]")) {
		const at = Date.parse(time.dateTime);
		if (!Number.isNaN(at)) {
			time.title ||= time.textContent;
			time.textContent = ago(at);
		}
	}
}
refresh();
setInterval(refresh, 60000);
`;
