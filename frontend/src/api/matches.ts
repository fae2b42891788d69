/** Broker match pipeline: the queue, the board, one match, its lifecycle steps and history. */
import { api, call } from "./client";
import type { components } from "./schema";
import type { AuditEvent, Match, Page, Query } from "./types";

/** The queue's filters (the list, the board and the per-need groups take the same ones). */
export type MatchQuery = Query<"list_matches_api_v1_matches_get">;
export type MatchFilters = Omit<NonNullable<MatchQuery>, "sort" | "page" | "page_size">;
export type NeedGroup = components["schemas"]["NeedGroup"];

/** The queue grouped by need: each need's match count and best 匹配度 (need filter left out). */
export function matchNeedGroups(filters: MatchFilters, page: number, pageSize: number): Promise<Page<NeedGroup>> {
  return call(
    api.GET("/api/v1/matches/needs", {
      params: { query: { ...filters, need_id: undefined, page, page_size: pageSize } },
    }),
  );
}

export type MatchAction = "approve" | "reject" | "recommend" | "connect" | "negotiate" | "decline" | "interest";

export const listMatches = (query: Query<"list_matches_api_v1_matches_get">) =>
  call(api.GET("/api/v1/matches", { params: { query } }));

/** How many matches stand at each stage (brokers, admins). */
/** Stage counts for the board under the queue's filters (the stage itself left out). */
export const matchBoard = (filters: MatchFilters = {}) =>
  call(api.GET("/api/v1/matches/board", { params: { query: { ...filters, status: undefined } } }));

export const getMatch = (id: number): Promise<Match> =>
  call(api.GET("/api/v1/matches/{match_id}", { params: { path: { match_id: id } } }));

/** A broker pairs a need and a capability by hand. */
export const addMatch = (needId: number, capabilityId: number, note: string): Promise<Match> =>
  call(api.POST("/api/v1/matches", { body: { need_id: needId, capability_id: capabilityId, note } }));

export function matchAction(m: Match, action: MatchAction, reason?: string): Promise<Match> {
  const req = { params: { path: { match_id: m.id } }, body: { version: m.version, reason: reason ?? null } };
  return call(api.POST(`/api/v1/matches/{match_id}/${action}`, req));
}

export function matchDeal(m: Match, contractValueWan: string): Promise<Match> {
  return call(
    api.POST("/api/v1/matches/{match_id}/deal", {
      params: { path: { match_id: m.id } },
      body: { version: m.version, contract_value_wan: contractValueWan },
    }),
  );
}

export const matchHistory = (id: number): Promise<AuditEvent[]> =>
  call(api.GET("/api/v1/matches/{match_id}/history", { params: { path: { match_id: id } } }));

/** 请经纪人对接: the need's enterprise or the capability's researchers ask a broker to take the pair up. */
export const requestBroker = (needId: number, capabilityId: number) =>
  call(api.POST("/api/v1/matches/requests", { body: { need_id: needId, capability_id: capabilityId } }));

/** A need's signed broker deals the caller may see (its enterprise, the deal's side, brokers, admins). */
export const needDeals = (needId: number) =>
  call(api.GET("/api/v1/needs/{need_id}/deals", { params: { path: { need_id: needId } } }));
