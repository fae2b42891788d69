/** Reference data and figures: fields, organisations, statistics, the engine's rank model. */
import { api, call, tokenStore } from "./client";
import { ApiError } from "./errors";
import type { Field } from "./types";

export const listFields = (): Promise<Field[]> => call(api.GET("/api/v1/fields"));

/** Organisations by name (a consortium member, a filter). */
export const findOrgs = (q: string) => call(api.GET("/api/v1/orgs", { params: { query: { q: q.trim() || undefined, page_size: 20 } } }));

export const publicStats = () => call(api.GET("/api/v1/stats/public"));

export const adminStats = () => call(api.GET("/api/v1/stats"));

export const myBrokerRecord = () => call(api.GET("/api/v1/brokers/me/record"));

export const rankModel = () => call(api.GET("/api/v1/engine/model"));

/** One dataset as a CSV or Excel file (a download, so fetched with the token, not linked). */
export async function exportFile(dataset: string, fmt: "csv" | "xlsx"): Promise<Blob> {
  const res = await fetch(`/api/v1/exports/${dataset}.${fmt}`, { headers: { Authorization: `Bearer ${tokenStore.get() ?? ""}` } });
  if (!res.ok) throw ApiError.from(res.status, await res.json().catch(() => ({})));
  return res.blob();
}
