/** Broker match pipeline: the lifecycle actions a match lists in `actions`. */
import { api, call } from "./client";
import type { AuditEvent, Match } from "./types";

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
