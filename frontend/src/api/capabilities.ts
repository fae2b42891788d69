/** Capabilities (科技成果): the 成果库, one capability, its form, its lifecycle steps and history. */
import { api, call } from "./client";
import type { AuditEvent, Capability, CapabilityCreate, CapabilityUpdate, Page, Query } from "./types";

export type CapabilityQuery = Query<"list_capabilities_api_v1_capabilities_get">;
export type CapabilitySearch = Query<"search_capabilities_api_v1_search_capabilities_get">;
export type CapabilityAction = "submit" | "approve" | "reject" | "archive";

export const listCapabilities = (query: CapabilityQuery): Promise<Page<Capability>> =>
  call(api.GET("/api/v1/capabilities", { params: { query } }));

/** The caller's organisation's published capabilities (to link to a 揭榜 or get recommendations). */
export const myPublishedCapabilities = (): Promise<Capability[]> =>
  listCapabilities({ mine: true, status: "published", page_size: 100 }).then((p) => p.items);

/** 智能检索: semantic + keyword, ranked by match, with the relevant count. */
export const searchCapabilities = (query: CapabilitySearch) =>
  call(api.GET("/api/v1/search/capabilities", { params: { query } }));

export const getCapability = (id: number): Promise<Capability> =>
  call(api.GET("/api/v1/capabilities/{cap_id}", { params: { path: { cap_id: id } } }));

export const createCapability = (body: CapabilityCreate): Promise<Capability> =>
  call(api.POST("/api/v1/capabilities", { body }));

export const updateCapability = (id: number, body: CapabilityUpdate): Promise<Capability> =>
  call(api.PATCH("/api/v1/capabilities/{cap_id}", { params: { path: { cap_id: id } }, body }));

/** One lifecycle step (the API lists those the caller may take in `actions`). */
export function capabilityAction(cap: Capability, action: CapabilityAction, reason?: string): Promise<Capability> {
  const req = { params: { path: { cap_id: cap.id } }, body: { version: cap.version, reason: reason ?? null } };
  return call(api.POST(`/api/v1/capabilities/{cap_id}/${action}`, req));
}

export const capabilityHistory = (id: number): Promise<AuditEvent[]> =>
  call(api.GET("/api/v1/capabilities/{cap_id}/history", { params: { path: { cap_id: id } } }));

/** Published needs matched to a capability (its owner, brokers, admins). */
export const capabilityRecommendations = (id: number, limit = 20) =>
  call(api.GET("/api/v1/capabilities/{cap_id}/recommendations", { params: { path: { cap_id: id }, query: { limit } } }));
