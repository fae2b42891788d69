/** 专家论证: an expert's assignment and score sheets, the admin's assignments, the results. */
import { api, call } from "./client";
import type { Application, Assignment, AssignmentState, AssignmentSummary, Query, ReviewResults, User } from "./types";

export function getAssignment(id: number): Promise<Assignment> {
  return call(api.GET("/api/v1/review-assignments/{assignment_id}", { params: { path: { assignment_id: id } } }));
}

/** Save one application's card: the criteria scored (1–5) and the comment. */
export function saveReview(
  assignmentId: number,
  applicationId: number,
  scores: Record<string, number>,
  comment: string,
): Promise<Assignment> {
  return call(
    api.PUT("/api/v1/review-assignments/{assignment_id}/reviews/{application_id}", {
      params: { path: { assignment_id: assignmentId, application_id: applicationId } },
      body: { scores, comment },
    }),
  );
}

export function submitAssignment(a: Assignment, comment: string): Promise<AssignmentState> {
  return call(
    api.POST("/api/v1/review-assignments/{assignment_id}/submit", {
      params: { path: { assignment_id: a.id } },
      body: { comment, version: a.version },
    }),
  );
}

export function declineAssignment(a: Assignment, reason: string): Promise<AssignmentState> {
  return call(
    api.POST("/api/v1/review-assignments/{assignment_id}/decline", {
      params: { path: { assignment_id: a.id } },
      body: { reason, version: a.version },
    }),
  );
}

export function withdrawAssignment(a: AssignmentSummary, reason: string): Promise<AssignmentState> {
  return call(
    api.POST("/api/v1/review-assignments/{assignment_id}/withdraw", {
      params: { path: { assignment_id: a.id } },
      body: { reason, version: a.version },
    }),
  );
}

export function reviewResults(needId: number): Promise<ReviewResults> {
  return call(api.GET("/api/v1/needs/{need_id}/review-results", { params: { path: { need_id: needId } } }));
}

/** What the admin needs to organise a need's review: its assignments, the experts, the live applications. */
export async function reviewPanel(needId: number): Promise<{
  assignments: AssignmentSummary[];
  experts: User[];
  applications: Application[];
}> {
  const [a, e, p] = await Promise.all([
    call(api.GET("/api/v1/review-assignments", { params: { query: { need_id: needId, page_size: 100 } } })),
    call(api.GET("/api/v1/users", { params: { query: { role: "expert", page_size: 100 } } })),
    call(api.GET("/api/v1/applications", { params: { query: { need_id: needId, page_size: 100 } } })),
  ]);
  return {
    assignments: a.items,
    experts: e.items,
    applications: p.items.filter((x) => x.status === "submitted" || x.status === "shortlisted"),
  };
}

export function assignExpert(needId: number, expertId: number, applicationIds: number[]): Promise<Assignment> {
  return call(
    api.POST("/api/v1/needs/{need_id}/review-assignments", {
      params: { path: { need_id: needId } },
      body: { expert_id: expertId, application_ids: applicationIds.length ? applicationIds : null },
    }),
  );
}

export function listAssignments(query: Query<"list_assignments_api_v1_review_assignments_get">) {
  return call(api.GET("/api/v1/review-assignments", { params: { query } }));
}
