/** The CI examples, bundled as text (the Text rules in wrangler.toml); .sh files are declared in src/text-modules.d.ts. */
declare module "*.yml" {
	const text: string;
	export default text;
}

declare module "*/Jenkinsfile" {
	const text: string;
	export default text;
}
