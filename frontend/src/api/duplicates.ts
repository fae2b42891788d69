/** 重复发布: near-duplicates of a posting (its poster, brokers, admins) and the admin's 重复 mark. */
import { api, call } from "./client";
import type { components } from "./schema";

type S = components["schemas"];
export type DuplicateCheck = S["DuplicateCheck"];
export type DuplicateCandidate = S["DuplicateCandidate"];
export type DuplicateLink = S["DuplicateLinkRead"];
export type DuplicateKind = "need" | "capability";

export function checkDuplicates(kind: DuplicateKind, id: number): Promise<DuplicateCheck> {
  if (kind === "need") {
    return call(api.GET("/api/v1/duplicates/needs/{need_id}", { params: { path: { need_id: id } } }));
  }
  return call(
    api.GET("/api/v1/duplicates/capabilities/{capability_id}", { params: { path: { capability_id: id } } }),
  );
}

/** 标记为重复: `postingId` repeats `duplicateOfId` (kept); admins only, with a reason. */
export const markDuplicate = (kind: DuplicateKind, postingId: number, duplicateOfId: number, reason: string) =>
  call(api.POST("/api/v1/duplicates", { body: { kind, posting_id: postingId, duplicate_of_id: duplicateOfId, reason } }));

export const unlinkDuplicate = (linkId: number, reason: string) =>
  call(api.POST("/api/v1/duplicates/links/{link_id}/unlink", { params: { path: { link_id: linkId } }, body: { reason } }));

/** "87%": a similarity 0–1 as the page shows it. */
export const percent = (similarity: number | null | undefined): string =>
  similarity == null ? "—" : `${Math.round(similarity * 100)}%`;
