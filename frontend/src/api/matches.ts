/** Broker match pipeline: the lifecycle actions a match lists in `actions`. */
import { api, call } from "./client";
import type { components, operations } from "./schema";
import type { AuditEvent, Match, Page } from "./types";

/** The queue's filters (the list, the board and the per-need groups take the same ones). */
export type MatchQuery = NonNullable<operations["list_matches_api_v1_matches_get"]["parameters"]["query"]>;
export type MatchFilters = Omit<MatchQuery, "sort" | "page" | "page_size">;
export type NeedGroup = components["schemas"]["NeedGroup"];
export type Board = components["schemas"]["BoardRead"];

export function listMatches(query: MatchQuery): Promise<Page<Match>> {
  return call(api.GET("/api/v1/matches", { params: { query } }));
}

/** Stage counts for the board (the stage filter itself is left out). */
export function matchBoard(filters: MatchFilters): Promise<Board> {
  return call(api.GET("/api/v1/matches/board", { params: { query: { ...filters, status: undefined } } }));
}

/** The queue grouped by need: each need's match count and best 匹配度 (need filter left out). */
export function matchNeedGroups(filters: MatchFilters, page: number, pageSize: number): Promise<Page<NeedGroup>> {
  return call(
    api.GET("/api/v1/matches/needs", {
      params: { query: { ...filters, need_id: undefined, page, page_size: pageSize } },
    }),
  );
}

export type MatchAction = "approve" | "reject" | "recommend" | "connect" | "negotiate" | "decline" | "interest";

export function matchAction(m: Match, action: MatchAction, reason?: string): Promise<Match> {
  const req = { params: { path: { match_id: m.id } }, body: { version: m.version, reason: reason ?? null } };
  switch (action) {
    case "approve":
      return call(api.POST("/api/v1/matches/{match_id}/approve", req));
    case "reject":
      return call(api.POST("/api/v1/matches/{match_id}/reject", req));
    case "recommend":
      return call(api.POST("/api/v1/matches/{match_id}/recommend", req));
    case "connect":
      return call(api.POST("/api/v1/matches/{match_id}/connect", req));
    case "negotiate":
      return call(api.POST("/api/v1/matches/{match_id}/negotiate", req));
    case "decline":
      return call(api.POST("/api/v1/matches/{match_id}/decline", req));
    case "interest":
      return call(api.POST("/api/v1/matches/{match_id}/interest", req));
  }
}

export function matchDeal(m: Match, contractValueWan: string): Promise<Match> {
  return call(
    api.POST("/api/v1/matches/{match_id}/deal", {
      params: { path: { match_id: m.id } },
      body: { version: m.version, contract_value_wan: contractValueWan },
    }),
  );
}

export function matchHistory(id: number): Promise<AuditEvent[]> {
  return call(api.GET("/api/v1/matches/{match_id}/history", { params: { path: { match_id: id } } }));
}
