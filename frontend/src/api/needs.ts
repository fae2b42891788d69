/** Needs: the 榜单, one need, its form, its lifecycle steps and history. */
import { api, call } from "./client";
import type { AuditEvent, AwardResult, ClarityCheck, Need, NeedCreate, NeedDraft, NeedUpdate, Page, Query } from "./types";

export type NeedQuery = Query<"list_needs_api_v1_needs_get">;
export type NeedSearch = Query<"search_needs_api_v1_search_needs_get">;
export type NeedAction = "submit" | "approve" | "reject" | "withdraw" | "start" | "complete" | "terminate" | "request-termination";

export const listNeeds = (query: NeedQuery): Promise<Page<Need>> => call(api.GET("/api/v1/needs", { params: { query } }));

/** 智能检索: semantic + keyword, ranked by match, with the relevant count. */
export const searchNeeds = (query: NeedSearch) => call(api.GET("/api/v1/search/needs", { params: { query } }));

/** 揭榜结果公示: the awards of public needs, newest first (public). */
export const listAwardResults = (page: number, pageSize: number): Promise<Page<AwardResult>> =>
  call(api.GET("/api/v1/needs/results", { params: { query: { page, page_size: pageSize } } }));

export const getNeed = (id: number): Promise<Need> =>
  call(api.GET("/api/v1/needs/{need_id}", { params: { path: { need_id: id } } }));

export const createNeed = (body: NeedCreate): Promise<Need> => call(api.POST("/api/v1/needs", { body }));

export const updateNeed = (id: number, body: NeedUpdate): Promise<Need> =>
  call(api.PATCH("/api/v1/needs/{need_id}", { params: { path: { need_id: id } }, body }));

/** One lifecycle step (the API lists those the caller may take in `actions`). */
export function needAction(need: Need, action: NeedAction, reason?: string): Promise<Need> {
  const req = { params: { path: { need_id: need.id } }, body: { version: need.version, reason: reason ?? null } };
  return call(api.POST(`/api/v1/needs/{need_id}/${action}`, req));
}

export const needHistory = (id: number): Promise<AuditEvent[]> =>
  call(api.GET("/api/v1/needs/{need_id}/history", { params: { path: { need_id: id } } }));

/** Capabilities recommended for a need (its enterprise, brokers, admins). */
export const needRecommendations = (id: number, limit = 10) =>
  call(api.GET("/api/v1/needs/{need_id}/recommendations", { params: { path: { need_id: id }, query: { limit } } }));

/** 需求明确度 of a need being written: score and hints, and with `preview` the 高-band match
 * preview (which waits for the matching engine). */
export const checkClarity = (body: NeedDraft, preview: boolean, signal?: AbortSignal): Promise<ClarityCheck> =>
  call(api.POST("/api/v1/needs/clarity", { params: { query: { preview } }, body, signal }));

/** 邀请揭榜: notify the organisation of a capability recommended for the need (the need's enterprise). */
export const inviteToApply = (needId: number, capabilityId: number) =>
  call(api.POST("/api/v1/needs/{need_id}/invitations", { params: { path: { need_id: needId } }, body: { capability_id: capabilityId } }));
