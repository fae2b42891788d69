/** Who is signed in: the token lives in localStorage, the user is loaded from /me. */
import { computed, reactive } from "vue";
import type { LocationQuery } from "vue-router";

import { tokenStore } from "@/api/client";
import { ApiError } from "@/api/errors";
import type { Role, TokenOut, User } from "@/api/types";
import { login, logout, me } from "@/api/users";

const state = reactive<{ user: User | null; loaded: boolean }>({ user: null, loaded: false });

export const session = {
  state,
  user: computed(() => state.user),
  /** The role the account acts in: none while it awaits approval (it sees what the public sees). */
  role: computed<Role | null>(() => (state.user?.status === "active" ? state.user.role : null)),
  pending: computed(() => state.user?.status === "pending"),
  mustChangePassword: computed(() => state.user?.must_change_password === true),
  loggedIn: computed(() => state.user !== null),

  /** Load the current user once, when a token was kept from an earlier visit. */
  async ensureLoaded(): Promise<void> {
    if (state.loaded) return;
    state.loaded = true;
    if (!tokenStore.get()) return;
    try {
      state.user = await me();
    } catch (err) {
      // Only a refused token is forgotten; a request cut short (reload, network) keeps it.
      if (err instanceof ApiError && err.status === 401) tokenStore.clear();
      state.user = null;
      state.loaded = false;
    }
  },

  async login(username: string, password: string): Promise<User> {
    return session.accept(await login(username, password));
  },

  accept(out: TokenOut): User {
    tokenStore.set(out.access_token, out.refresh_token, out.expires_in);
    state.user = out.user;
    state.loaded = true;
    return out.user;
  },

  /** Forget the session here; `revoke` also ends it on the server (every device). */
  async logout(revoke = false): Promise<void> {
    if (revoke && tokenStore.get()) {
      try {
        await logout();
      } catch {
        // already signed out there (or offline): forgetting it here is what remains
      }
    }
    tokenStore.clear();
    state.user = null;
  },
};

/** The page that sent the user to sign in (`?redirect=`, a path of this site), else `fallback`. */
export function redirectOr(route: { query: LocationQuery }, fallback: string): string {
  const redirect = typeof route.query.redirect === "string" ? route.query.redirect : null;
  return redirect && redirect.startsWith("/") ? redirect : fallback;
}

/** Where a user lands after logging in when no page asked for it. */
export function homeFor(role: Role | null): string {
  switch (role) {
    case "enterprise":
      return "/my/needs";
    case "researcher":
      return "/my/capabilities";
    case "admin":
      return "/admin/review";
    case "broker":
      return "/matches";
    case "expert":
      return "/reviews";
    default:
      return "/needs";
  }
}
