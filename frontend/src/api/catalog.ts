/** Reference data and figures: fields, organisations, statistics, the engine's rank model. */
import { api, call } from "./client";
import type { Field } from "./types";

export const listFields = (): Promise<Field[]> => call(api.GET("/api/v1/fields"));

/** Organisations by name (a consortium member, a filter). */
export const findOrgs = (q: string) => call(api.GET("/api/v1/orgs", { params: { query: { q: q.trim() || undefined, page_size: 20 } } }));

export const publicStats = () => call(api.GET("/api/v1/stats/public"));

export const adminStats = () => call(api.GET("/api/v1/stats"));

export const myBrokerRecord = () => call(api.GET("/api/v1/brokers/me/record"));

export const rankModel = () => call(api.GET("/api/v1/engine/model"));
