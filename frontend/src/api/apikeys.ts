/** 开放接口: an organisation's API keys for the open data API (/api/open/v1) and their usage. */
import { api, call } from "./client";
import type { components } from "./schema";

export type ApiKey = components["schemas"]["ApiKeyRead"];
export type ApiKeyCreated = components["schemas"]["ApiKeyCreated"];
export type ApiKeyUsage = components["schemas"]["ApiKeyUsageRead"];

export const listKeys = (page: number, pageSize: number) =>
  call(api.GET("/api/v1/api-keys", { params: { query: { page, page_size: pageSize } } }));

/** The answer carries the whole secret: the only time the server ever shows it. */
export const createKey = (name: string, ratePerMinute: number): Promise<ApiKeyCreated> =>
  call(api.POST("/api/v1/api-keys", { body: { name, rate_limit_per_minute: ratePerMinute } }));

export const revokeKey = (id: number): Promise<ApiKey> =>
  call(api.POST("/api/v1/api-keys/{key_id}/revoke", { params: { path: { key_id: id } } }));

export const keyUsage = (id: number): Promise<ApiKeyUsage> =>
  call(api.GET("/api/v1/api-keys/{key_id}/usage", { params: { path: { key_id: id } } }));
