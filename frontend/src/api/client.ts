/**
 * The typed API client (openapi-fetch over the generated schema). Every call goes through
 * `call()`, which returns the data or throws an ApiError; a 401 clears the session and sends
 * the user to 登录. An access token about to expire is renewed with the refresh token first.
 */
import createClient, { type Middleware } from "openapi-fetch";

import { ApiError } from "./errors";
import type { paths } from "./schema";

const TOKEN_KEY = "jiebang.token";
const REFRESH_KEY = "jiebang.refresh";
const EXPIRES_KEY = "jiebang.expires"; // when the access token expires (ms since epoch)

/**
 * The access token (short-lived, 15 min by default) and the refresh token that renews it
 * (12 h, renewed on use). Logout and password changes revoke both on the server.
 */
export const tokenStore = {
  get: (): string | null => localStorage.getItem(TOKEN_KEY),
  refreshToken: (): string | null => localStorage.getItem(REFRESH_KEY),
  set: (token: string, refresh?: string, expiresIn?: number): void => {
    localStorage.setItem(TOKEN_KEY, token);
    if (refresh) localStorage.setItem(REFRESH_KEY, refresh);
    if (expiresIn) localStorage.setItem(EXPIRES_KEY, String(Date.now() + expiresIn * 1000));
  },
  clear: (): void => {
    for (const key of [TOKEN_KEY, REFRESH_KEY, EXPIRES_KEY]) localStorage.removeItem(key);
  },
  /** True when the access token expires within a minute (time to renew it). */
  expiring: (): boolean => Number(localStorage.getItem(EXPIRES_KEY) ?? 0) - Date.now() < 60_000,
};

let renewing: Promise<void> | null = null;

/** Renew the token pair with the refresh token (one request at a time for all callers). */
async function renew(): Promise<void> {
  const refresh = tokenStore.refreshToken();
  if (!refresh) return;
  renewing ??= (async () => {
    try {
      const response = await fetch(`${window.location.origin}/api/v1/auth/refresh`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ refresh_token: refresh }),
      });
      if (response.ok) {
        const out = (await response.json()) as { access_token: string; refresh_token: string; expires_in: number };
        tokenStore.set(out.access_token, out.refresh_token, out.expires_in);
      } else if (response.status === 401) {
        tokenStore.clear(); // revoked or expired: the next call is a visitor's (or 401s)
      }
    } catch {
      // offline: keep the tokens, the call itself will say what happened
    } finally {
      renewing = null;
    }
  })();
  await renewing;
}

let onUnauthorized: () => void = () => {};

/** Set what happens on a 401 (the router installs it: clear the session, go to 登录). */
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

const AUTH_PATHS = ["/auth/token", "/auth/refresh", "/auth/register"];

const auth: Middleware = {
  async onRequest({ request }) {
    const path = new URL(request.url).pathname;
    if (tokenStore.get() && tokenStore.expiring() && !AUTH_PATHS.some((p) => path.endsWith(p))) {
      await renew();
    }
    const token = tokenStore.get();
    if (token) request.headers.set("Authorization", `Bearer ${token}`);
    return request;
  },
  onResponse({ request, response }) {
    // A refused login, refresh or logout says so itself; elsewhere a 401 ends the session.
    const path = new URL(request.url).pathname;
    const isAuthCall = [...AUTH_PATHS, "/auth/logout"].some((p) => path.endsWith(p));
    if (response.status === 401 && !isAuthCall) onUnauthorized();
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: window.location.origin });
api.use(auth);

type Result<T> = { data?: T; error?: unknown; response: Response };

/** Await an openapi-fetch call: its data, or an ApiError carrying the Chinese detail. */
export async function call<T>(request: Promise<Result<T>>): Promise<T> {
  const { data, error, response } = await request;
  if (!response.ok) throw ApiError.from(response.status, error);
  return data as T;
}
