import { ElMessage } from "element-plus";

export interface FieldError {
  field: string;
  message: string;
}

/** A refusal from the API: {"error": code, "detail": 中文, "fields": [...] for 422}. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly fields: FieldError[] = [],
  ) {
    super(detail);
    this.name = "ApiError";
  }

  static from(status: number, body: unknown): ApiError {
    const b = (body ?? {}) as { error?: string; detail?: unknown; fields?: FieldError[] };
    const detail = typeof b.detail === "string" ? b.detail : `请求失败（${status}）`;
    return new ApiError(status, b.error ?? "http_error", detail, b.fields ?? []);
  }
}

/**
 * Show an error to the user. With `fieldErrors` (a form's server-error map), a 422's per-field
 * messages go next to the matching fields, and so does a refusal whose `code` is listed in
 * `codeFields` (e.g. shares_not_100 → "members"); anything else is a message with the detail.
 */
export function showError(
  err: unknown,
  fieldErrors?: Record<string, string>,
  codeFields: Record<string, string> = {},
): void {
  if (fieldErrors) for (const key of Object.keys(fieldErrors)) delete fieldErrors[key];
  if (err instanceof ApiError) {
    const field = codeFields[err.code];
    if (field && fieldErrors) {
      fieldErrors[field] = err.detail;
      ElMessage.error(err.detail);
      return;
    }
    // A 401 on an ordinary call already sent the user to 登录; a failed login says why.
    if (err.status === 401 && err.code !== "invalid_credentials") return;
    if (err.status === 422 && err.fields.length && fieldErrors) {
      for (const f of err.fields) {
        fieldErrors[f.field] = fieldErrors[f.field] ? `${fieldErrors[f.field]}；${f.message}` : f.message;
      }
      ElMessage.error("提交的内容有误，请按提示修改");
      return;
    }
    ElMessage.error(err.detail);
    return;
  }
  console.warn(err);
  ElMessage.error("网络异常，请稍后重试");
}
