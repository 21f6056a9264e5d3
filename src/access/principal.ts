import { type Role, PRINCIPAL_KINDS as STORED_KINDS } from "../model/roles";

/** Which admin token a request proved it holds: during a rotation both work. */
export type Credential = "current" | "previous";

/**
 * Who a request proved it is, and the role that gives them:
 * - `admin-token`: the break-glass ADMIN_TOKEN (or, during its rotation, the previous one);
 * - `member`: a person Cloudflare Access signed in, by email;
 * - `service`: an Access service token, by its name;
 * - `api-token`: one of the tracker's own scoped API tokens, by its name.
 */
export type Principal =
	| { kind: "admin-token"; credential: Credential; role: "admin" }
	| { kind: "member"; email: string; role: Role }
	| { kind: "service"; name: string; role: Role }
	| { kind: "api-token"; id: string; name: string; role: Role };

export type PrincipalKind = Principal["kind"];
/** Every kind; the list lives in model/ so db/'s schema can store kinds, and `satisfies` keeps it in step with the union. */
export const PRINCIPAL_KINDS = STORED_KINDS satisfies readonly PrincipalKind[];

/** How the audit log and the page header name a principal: never a secret. */
export function principalName(p: Principal): string {
	switch (p.kind) {
		case "admin-token":
			return p.credential === "current" ? "admin token" : "previous admin token";
		case "member":
			return p.email;
		case "service":
		case "api-token":
			return p.name;
	}
}
