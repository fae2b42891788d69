/** 我的订阅: followed fields, keywords or 为我推荐, and 退订 from the e-mail's signed link. */
import { api, call } from "./client";
import type { components } from "./schema";

export type Subscription = components["schemas"]["SubscriptionRead"];
export type SubscriptionCreate = components["schemas"]["SubscriptionCreate"];
export type Frequency = Subscription["frequency"];

export const listSubscriptions = (page: number, pageSize: number) =>
  call(api.GET("/api/v1/subscriptions", { params: { query: { page, page_size: pageSize } } }));

export const createSubscription = (body: SubscriptionCreate): Promise<Subscription> =>
  call(api.POST("/api/v1/subscriptions", { body }));

export const setFrequency = (s: Subscription, frequency: Frequency): Promise<Subscription> =>
  call(api.PATCH("/api/v1/subscriptions/{sub_id}", { params: { path: { sub_id: s.id } }, body: { version: s.version, frequency } }));

export const pauseSubscription = (s: Subscription): Promise<Subscription> =>
  call(api.POST("/api/v1/subscriptions/{sub_id}/pause", { params: { path: { sub_id: s.id } }, body: { version: s.version } }));

export const resumeSubscription = (s: Subscription): Promise<Subscription> =>
  call(api.POST("/api/v1/subscriptions/{sub_id}/resume", { params: { path: { sub_id: s.id } }, body: { version: s.version } }));

export const deleteSubscription = (s: Subscription): Promise<unknown> =>
  call(api.DELETE("/api/v1/subscriptions/{sub_id}", { params: { path: { sub_id: s.id } } }));

/** The e-mail's link: works without a session. */
export const unsubscribeByLink = (token: string) =>
  call(api.POST("/api/v1/subscriptions/unsubscribe", { params: { query: { token } } }));

/** Which postings a role may follow: researchers needs, enterprises capabilities, brokers both. */
export function followsSide(role: string | null, side: "need" | "capability"): boolean {
  if (role === "broker") return true;
  return (role === "researcher" && side === "need") || (role === "enterprise" && side === "capability");
}

/** The board's keyword query as subscription keywords: split on spaces, 、，,+ (at most 5). */
export function keywordsOf(q: string): string[] {
  return [...new Set(q.split(/[\s、，,+＋]+/).map((w) => w.trim()).filter(Boolean))].slice(0, 5);
}
