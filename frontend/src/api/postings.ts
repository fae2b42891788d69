/** Lifecycle actions on needs and capabilities (the buttons the API lists in `actions`). */
import { api, call } from "./client";
import type { AuditEvent, Capability, Need, Page } from "./types";

export type NeedAction = "submit" | "approve" | "reject" | "withdraw";
export type CapabilityAction = "submit" | "approve" | "reject" | "archive";

export const ACTION_LABEL: Record<string, string> = {
  edit: "修改",
  submit: "提交审核",
  approve: "审核通过",
  reject: "驳回",
  withdraw: "撤回",
  archive: "归档",
};

/** The bureau's review queue: the oldest submitted needs, the latest submitted capabilities. */
export async function reviewQueue(pageSize: number): Promise<{ needs: Page<Need>; capabilities: Page<Capability> }> {
  const [needs, capabilities] = await Promise.all([
    call(api.GET("/api/v1/needs", { params: { query: { status: "submitted", sort: "created_at", page_size: pageSize } } })),
    call(api.GET("/api/v1/capabilities", { params: { query: { status: "submitted", sort: "-updated_at", page_size: pageSize } } })),
  ]);
  return { needs, capabilities };
}

export function needAction(need: Need, action: NeedAction, reason?: string): Promise<Need> {
  const body = { version: need.version, reason: reason ?? null };
  const path = { params: { path: { need_id: need.id } }, body };
  switch (action) {
    case "submit":
      return call(api.POST("/api/v1/needs/{need_id}/submit", path));
    case "approve":
      return call(api.POST("/api/v1/needs/{need_id}/approve", path));
    case "reject":
      return call(api.POST("/api/v1/needs/{need_id}/reject", path));
    case "withdraw":
      return call(api.POST("/api/v1/needs/{need_id}/withdraw", path));
  }
}

export function capabilityAction(
  cap: Capability,
  action: CapabilityAction,
  reason?: string,
): Promise<Capability> {
  const body = { version: cap.version, reason: reason ?? null };
  const path = { params: { path: { cap_id: cap.id } }, body };
  switch (action) {
    case "submit":
      return call(api.POST("/api/v1/capabilities/{cap_id}/submit", path));
    case "approve":
      return call(api.POST("/api/v1/capabilities/{cap_id}/approve", path));
    case "reject":
      return call(api.POST("/api/v1/capabilities/{cap_id}/reject", path));
    case "archive":
      return call(api.POST("/api/v1/capabilities/{cap_id}/archive", path));
  }
}

export function needHistory(id: number): Promise<AuditEvent[]> {
  return call(api.GET("/api/v1/needs/{need_id}/history", { params: { path: { need_id: id } } }));
}

export function capabilityHistory(id: number): Promise<AuditEvent[]> {
  return call(api.GET("/api/v1/capabilities/{cap_id}/history", { params: { path: { cap_id: id } } }));
}
