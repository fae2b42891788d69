/** The inbox: notifications, marking them read, the bell's count. */
import { api, call } from "./client";
import type { Query } from "./types";

export const listNotifications = (query: Query<"list_notifications_api_v1_notifications_get">) =>
  call(api.GET("/api/v1/notifications", { params: { query } }));

export const markRead = (id: number) =>
  call(api.POST("/api/v1/notifications/{notification_id}/read", { params: { path: { notification_id: id } } }));

export const markAllRead = () => call(api.POST("/api/v1/notifications/read-all"));

export const unreadCount = () => call(api.GET("/api/v1/notifications/unread-count")).then((out) => out.unread);
