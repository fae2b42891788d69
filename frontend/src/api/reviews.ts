/** 专家论证: assignments, the expert's scoring sheet, the results for a need. */
import { api, call } from "./client";
import type { Assignment, Query, ReviewResults } from "./types";

type Versioned = { id: number; version: number };
const assignmentPath = (id: number) => ({ params: { path: { assignment_id: id } } });

export const listAssignments = (query: Query<"list_assignments_api_v1_review_assignments_get">) =>
  call(api.GET("/api/v1/review-assignments", { params: { query } }));

export const getAssignment = (id: number): Promise<Assignment> =>
  call(api.GET("/api/v1/review-assignments/{assignment_id}", assignmentPath(id)));

/** Save one applicant's scores (criterion → 1–5) and comment on the sheet. */
export const saveReview = (id: number, applicationId: number, scores: Record<string, number>, comment: string) =>
  call(
    api.PUT("/api/v1/review-assignments/{assignment_id}/reviews/{application_id}", {
      params: { path: { assignment_id: id, application_id: applicationId } },
      body: { scores, comment },
    }),
  );

export const submitAssignment = (a: Versioned, comment: string) =>
  call(api.POST("/api/v1/review-assignments/{assignment_id}/submit", { ...assignmentPath(a.id), body: { comment, version: a.version } }));

/** The expert declines (a conflict of interest, no time), or an admin withdraws the assignment. */
export const endAssignment = (a: Versioned, action: "decline" | "withdraw", reason: string) =>
  call(api.POST(`/api/v1/review-assignments/{assignment_id}/${action}`, { ...assignmentPath(a.id), body: { reason, version: a.version } }));

export const assignExpert = (needId: number, expertId: number, applicationIds: number[] | null) =>
  call(
    api.POST("/api/v1/needs/{need_id}/review-assignments", {
      params: { path: { need_id: needId } },
      body: { expert_id: expertId, application_ids: applicationIds },
    }),
  );

export const reviewResults = (needId: number): Promise<ReviewResults> =>
  call(api.GET("/api/v1/needs/{need_id}/review-results", { params: { path: { need_id: needId } } }));
