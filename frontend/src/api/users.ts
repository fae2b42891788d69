/** Accounts: signing in and out, registering, one's own password; admins manage users. */
import { api, call } from "./client";
import type { Query, RegisterIn, TokenOut, User } from "./types";

export const me = (): Promise<User> => call(api.GET("/api/v1/me"));

export const login = (username: string, password: string): Promise<TokenOut> =>
  call(
    api.POST("/api/v1/auth/token", {
      body: { username, password, grant_type: "password", scope: "" },
      bodySerializer: (body) => new URLSearchParams(body as Record<string, string>),
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
    }),
  );

/** Revoke every token of the account on the server. */
export const logout = () => call(api.POST("/api/v1/auth/logout"));

export const register = (body: RegisterIn): Promise<TokenOut> => call(api.POST("/api/v1/auth/register", { body }));

export const changePassword = (currentPassword: string, newPassword: string): Promise<TokenOut> =>
  call(api.POST("/api/v1/me/password", { body: { current_password: currentPassword, new_password: newPassword } }));

export const listUsers = (query: Query<"list_users_api_v1_users_get">) => call(api.GET("/api/v1/users", { params: { query } }));

const userPath = (id: number) => ({ params: { path: { user_id: id } } });

export const setActive = (id: number, active: boolean): Promise<User> =>
  call(api.PATCH("/api/v1/users/{user_id}", { ...userPath(id), body: { is_active: active } }));

export const approveUser = (id: number): Promise<User> => call(api.POST("/api/v1/users/{user_id}/approve", userPath(id)));

export const refuseUser = (id: number, reason: string): Promise<User> =>
  call(api.POST("/api/v1/users/{user_id}/refuse", { ...userPath(id), body: { reason } }));

/** A temporary password the user must change at the next login (shown once). */
export const resetPassword = (id: number) => call(api.POST("/api/v1/users/{user_id}/password-reset", userPath(id)));
