/** Milestones of an awarded need, the bounty ledger, and the need's steps after the award. */
import { api, call } from "./client";
import type { Milestone, Need } from "./types";

export type MilestoneAction = "agree" | "decline" | "cancel" | "submit" | "accept" | "return" | "pay";

export function milestoneAction(m: Milestone, action: MilestoneAction, text?: string): Promise<Milestone> {
  const body = {
    version: m.version,
    reason: action === "submit" ? null : (text ?? null),
    note: action === "submit" ? (text ?? null) : null,
  };
  const req = { params: { path: { milestone_id: m.id } }, body };
  switch (action) {
    case "agree":
      return call(api.POST("/api/v1/milestones/{milestone_id}/agree", req));
    case "decline":
      return call(api.POST("/api/v1/milestones/{milestone_id}/decline", req));
    case "cancel":
      return call(api.POST("/api/v1/milestones/{milestone_id}/cancel", req));
    case "submit":
      return call(api.POST("/api/v1/milestones/{milestone_id}/submit", req));
    case "accept":
      return call(api.POST("/api/v1/milestones/{milestone_id}/accept", req));
    case "return":
      return call(api.POST("/api/v1/milestones/{milestone_id}/return", req));
    case "pay":
      return call(api.POST("/api/v1/milestones/{milestone_id}/pay", req));
  }
}

export type ProgressAction = "start" | "complete" | "terminate" | "request-termination";

export function needProgress(need: Need, action: ProgressAction, reason?: string): Promise<Need> {
  const req = { params: { path: { need_id: need.id } }, body: { version: need.version, reason: reason ?? null } };
  switch (action) {
    case "start":
      return call(api.POST("/api/v1/needs/{need_id}/start", req));
    case "complete":
      return call(api.POST("/api/v1/needs/{need_id}/complete", req));
    case "terminate":
      return call(api.POST("/api/v1/needs/{need_id}/terminate", req));
    case "request-termination":
      return call(api.POST("/api/v1/needs/{need_id}/request-termination", req));
  }
}
