import { raw } from "hono/html";
import type { Child, PropsWithChildren } from "hono/jsx";
import { principalName } from "../access/principal";
import { assetUrl } from "../http/assets";
import type { Role } from "../model/roles";
import { assets } from "./assets";
import { may, signedInAs } from "./viewer";

type Section =
	| "services"
	| "teams"
	| "deploys"
	| "integrations"
	| "suggestions"
	| "audit"
	| "members"
	| "tokens"
	| "settings"
	| "notifications";

/** Each entry: its section, where it goes, its label, and the role it needs to be shown (none: everyone signed in). */
const NAV: [Section, string, string, Role?][] = [
	["services", "/services", "Services"],
	["teams", "/teams", "Teams"],
	["deploys", "/deploys", "Deploys"],
	["integrations", "/integrations", "Integrations"],
	["suggestions", "/suggestions", "Suggestions"],
	["notifications", "/notifications", "Notifications"],
	["audit", "/audit", "Audit log"],
	["members", "/members", "Members", "admin"],
	["tokens", "/tokens", "API tokens"],
	["settings", "/settings", "Settings"],
];

type PageProps = PropsWithChildren<{
	title: string;
	/** The nav entry to mark; none on sign-in and error pages. */
	section?: Section;
	/** Whether to show the nav and sign-out (not to signed-out visitors). */
	signedIn?: boolean;
	notice?: Child;
}>;

/** Who the page is for, and what their role lets them do. */
function SignedInAs() {
	const principal = signedInAs();
	if (!principal) return null;
	return (
		<span class="who" title={`${principal.role}: ${ROLE_SAYS[principal.role]}`}>
			{principalName(principal)} <span class="role">{principal.role}</span>
		</span>
	);
}

/** Access's sign-out ends an Access session; the admin token's session is ours to end. */
function SignOut() {
	const principal = signedInAs();
	if (principal?.kind === "member" || principal?.kind === "service") {
		return (
			<a class="sign-out" href="/cdn-cgi/access/logout">
				Sign out
			</a>
		);
	}
	return (
		<form method="post" action="/logout">
			<button type="submit" class="link">
				Sign out
			</button>
		</form>
	);
}

/** What each role may do, as the header's tooltip says it. */
const ROLE_SAYS: Record<Role, string> = {
	viewer: "reads everything",
	editor: "also changes services, aliases and suggestions",
	admin: "also manages integrations and their URLs, members, settings, and everyone's API tokens",
};

/** The document every page shares: one stylesheet, one deferred script, a nav. */
export function Page({ title, section, signedIn = true, notice, children }: PageProps) {
	return (
		<>
			{raw("<!doctype html>")}
			<html lang="en">
				<head>
					<meta charset="utf-8" />
					<meta name="viewport" content="width=device-width, initial-scale=1" />
					<title>{`${title} · Deploy tracker`}</title>
					{/* No favicon: an empty one saves every page a 404. */}
					<link rel="icon" href="data:," />
					<link rel="stylesheet" href={assetUrl(assets.stylesheet)} />
					<script src={assetUrl(assets.script)} defer />
				</head>
				<body>
					<a class="skip" href="#main">
						Skip to content
					</a>
					<header class="top">
						<nav aria-label="Main">
							<a class="brand" href="/">
								Deploy tracker
							</a>
							{signedIn &&
								NAV.filter(([, , , role]) => role === undefined || may(role)).map(([key, href, label]) => (
									<a href={href} class={key === section ? "current" : undefined}>
										{label}
									</a>
								))}
							{signedIn && <SignedInAs />}
							{signedIn && <SignOut />}
						</nav>
					</header>
					<main id="main">
						{notice && (
							<p class="notice" role="status">
								{notice}
							</p>
						)}
						{children}
					</main>
					<footer class="bottom">
						<a href="/api/docs">API reference</a>
					</footer>
				</body>
			</html>
		</>
	);
}
