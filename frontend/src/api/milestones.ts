/** Milestones of an awarded need and the bounty ledger. */
import { api, call } from "./client";
import type { components } from "./schema";
import type { Ledger, Milestone } from "./types";

export type MilestoneAction = "agree" | "decline" | "cancel" | "submit" | "accept" | "return" | "pay";

const needPath = (needId: number) => ({ params: { path: { need_id: needId } } });

export const ledgerOf = (needId: number): Promise<Ledger> => call(api.GET("/api/v1/needs/{need_id}/ledger", needPath(needId)));

export const milestonesOf = (needId: number): Promise<Milestone[]> =>
  call(api.GET("/api/v1/needs/{need_id}/milestones", needPath(needId)));

export const proposeMilestone = (needId: number, body: components["schemas"]["MilestoneCreate"]): Promise<Milestone> =>
  call(api.POST("/api/v1/needs/{need_id}/milestones", { ...needPath(needId), body }));

/** A step; `text` is the submission's note for "submit" and the reason otherwise. */
export function milestoneAction(m: Milestone, action: MilestoneAction, text?: string): Promise<Milestone> {
  const body = {
    version: m.version,
    reason: action === "submit" ? null : (text ?? null),
    note: action === "submit" ? (text ?? null) : null,
  };
  return call(api.POST(`/api/v1/milestones/{milestone_id}/${action}`, { params: { path: { milestone_id: m.id } }, body }));
}
