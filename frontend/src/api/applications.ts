/** 揭榜 applications: listing, the form, lifecycle steps, consortium consent, the award. */
import { api, call } from "./client";
import type { Application, ApplicationCreate, AuditEvent, Page, Query } from "./types";

export type ApplicationQuery = Query<"list_applications_api_v1_applications_get">;
export type ApplicationAction = "shortlist" | "reject" | "withdraw";
export type ApplicationUpdate = Omit<ApplicationCreate, "capability_id" | "lead_share" | "members"> & { version: number };

export const listApplications = (query: ApplicationQuery): Promise<Page<Application>> =>
  call(api.GET("/api/v1/applications", { params: { query } }));

/** The applications to one need the caller may see (all for its enterprise and admins). */
export const applicationsOf = (needId: number, query: ApplicationQuery = {}) =>
  listApplications({ page_size: 20, ...query, need_id: needId });

export const getApplication = (id: number): Promise<Application> =>
  call(api.GET("/api/v1/applications/{app_id}", { params: { path: { app_id: id } } }));

export const createApplication = (needId: number, body: ApplicationCreate): Promise<Application> =>
  call(api.POST("/api/v1/needs/{need_id}/applications", { params: { path: { need_id: needId } }, body }));

export const updateApplication = (id: number, body: ApplicationUpdate): Promise<Application> =>
  call(api.PATCH("/api/v1/applications/{app_id}", { params: { path: { app_id: id } }, body }));

export function applicationAction(app: Application, action: ApplicationAction, reason?: string): Promise<Application> {
  const req = { params: { path: { app_id: app.id } }, body: { version: app.version, reason: reason ?? null } };
  return call(api.POST(`/api/v1/applications/{app_id}/${action}`, req));
}

/** Award, committing `amountWan` (万元 string) or, when absent, the whole remaining bounty. */
export function awardApplication(app: Application, amountWan?: string): Promise<Application> {
  return call(
    api.POST("/api/v1/applications/{app_id}/award", {
      params: { path: { app_id: app.id } },
      body: { version: app.version, amount_wan: amountWan || null },
    }),
  );
}

export const applicationHistory = (id: number): Promise<AuditEvent[]> =>
  call(api.GET("/api/v1/applications/{app_id}/history", { params: { path: { app_id: id } } }));

/** A member organisation's staff confirm or decline (a reason required) the consortium. */
export function membershipAction(app: Application, action: "confirm" | "decline", reason?: string): Promise<Application> {
  const req = { params: { path: { app_id: app.id } }, body: { version: app.version, reason: reason ?? null } };
  return call(api.POST(`/api/v1/applications/{app_id}/membership/${action}`, req));
}
