// Vocabulary: who may do what. Each role may do everything the ones before it may.

/** Lowest first: a viewer reads; an editor also changes the catalog; an admin also runs the tracker. */
export const ROLES = ["viewer", "editor", "admin"] as const;
export type Role = (typeof ROLES)[number];

/** Whether `role` may do what `needed` may. */
export const atLeast = (role: Role, needed: Role): boolean => ROLES.indexOf(role) >= ROLES.indexOf(needed);

/** The kinds of principal a request can prove it is (see access/principal.ts), as db/ stores them. */
export const PRINCIPAL_KINDS = ["admin-token", "member", "service", "api-token"] as const;
