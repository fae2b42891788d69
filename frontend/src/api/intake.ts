/**
 * Excel/CSV intake: templates, the dry-run check of an upload, its marked xlsx report, and the
 * import, which the server runs in steps (each one committed) so the page can show progress.
 */
import { api, call } from "./client";
import type { components } from "./schema";

export type IntakeKind = components["schemas"]["IntakeKind"];
export type IntakeBatch = components["schemas"]["IntakeBatchRead"];
export type Org = components["schemas"]["OrgRead"];

export const KIND_LABELS: Record<IntakeKind, string> = { needs: "技术需求", capabilities: "科技成果" };

/** Save a downloaded file under `name` (downloads need the bearer token, so no plain link). */
function save(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.click();
  URL.revokeObjectURL(url);
}

export async function downloadTemplate(kind: IntakeKind): Promise<void> {
  const blob = await call(
    api.GET("/api/v1/intake/{kind}/template.xlsx", { params: { path: { kind } }, parseAs: "blob" }),
  );
  save(blob as Blob, `${KIND_LABELS[kind]}导入模板.xlsx`);
}

export async function downloadReport(batch: IntakeBatch): Promise<void> {
  const blob = await call(
    api.GET("/api/v1/intake/batches/{batch_id}/report.xlsx", {
      params: { path: { batch_id: batch.id } },
      parseAs: "blob",
    }),
  );
  save(blob as Blob, `${KIND_LABELS[batch.kind]}检查结果-${batch.id}.xlsx`);
}

/** Upload and check (nothing is stored but the batch); an admin names the organisation. */
export function checkUpload(kind: IntakeKind, file: File, orgId: number | null): Promise<IntakeBatch> {
  return call(
    api.POST("/api/v1/intake/{kind}/check", {
      params: { path: { kind } },
      body: { file: "", org_id: orgId },
      bodySerializer: () => {
        const form = new FormData();
        form.append("file", file, file.name);
        if (orgId !== null) form.append("org_id", String(orgId));
        return form;
      },
    }),
  );
}

/** Import the checked batch step by step until done, reporting each step's state. */
export async function importBatch(
  batch: IntakeBatch,
  onlyValid: boolean,
  onStep: (batch: IntakeBatch) => void,
): Promise<IntakeBatch> {
  let current = batch;
  while (current.status !== "imported") {
    current = await call(
      api.POST("/api/v1/intake/batches/{batch_id}/import", {
        params: { path: { batch_id: batch.id } },
        body: { only_valid: onlyValid },
      }),
    );
    onStep(current);
  }
  return current;
}

/** Organisations an admin may import for: enterprises (needs) or universities and institutes. */
export async function searchOrgs(kind: IntakeKind, q: string): Promise<Org[]> {
  const kinds = kind === "needs" ? (["enterprise"] as const) : (["university", "institute"] as const);
  const pages = await Promise.all(
    kinds.map((k) =>
      call(api.GET("/api/v1/orgs", { params: { query: { kind: k, q: q || undefined, page_size: 20 } } })),
    ),
  );
  return pages.flatMap((p) => p.items);
}
