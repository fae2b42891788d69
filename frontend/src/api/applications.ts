/** 揭榜 applications: lifecycle actions and the exact 万元 sums the award dialog needs. */
import { api, call } from "./client";
import type { Application, AuditEvent } from "./types";

export type ApplicationAction = "shortlist" | "reject" | "withdraw";

export function applicationAction(
  app: Application,
  action: ApplicationAction,
  reason?: string,
): Promise<Application> {
  const req = { params: { path: { app_id: app.id } }, body: { version: app.version, reason: reason ?? null } };
  switch (action) {
    case "shortlist":
      return call(api.POST("/api/v1/applications/{app_id}/shortlist", req));
    case "reject":
      return call(api.POST("/api/v1/applications/{app_id}/reject", req));
    case "withdraw":
      return call(api.POST("/api/v1/applications/{app_id}/withdraw", req));
  }
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

export function applicationHistory(id: number): Promise<AuditEvent[]> {
  return call(api.GET("/api/v1/applications/{app_id}/history", { params: { path: { app_id: id } } }));
}

/** A member organisation's staff confirm or decline (a reason required) the consortium. */
export function membershipAction(app: Application, action: "confirm" | "decline", reason?: string): Promise<Application> {
  const req = { params: { path: { app_id: app.id } }, body: { version: app.version, reason: reason ?? null } };
  return action === "confirm"
    ? call(api.POST("/api/v1/applications/{app_id}/membership/confirm", req))
    : call(api.POST("/api/v1/applications/{app_id}/membership/decline", req));
}
