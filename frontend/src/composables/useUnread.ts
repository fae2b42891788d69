import { ref } from "vue";

import { tokenStore } from "@/api/client";
import { unreadCount } from "@/api/notifications";

/** The unread-notification count in the header, refreshed on navigation and every minute. */
const unread = ref(0);
let timer: number | undefined;

export async function refreshUnread(): Promise<void> {
  if (!tokenStore.get()) {
    unread.value = 0;
    return;
  }
  try {
    unread.value = await unreadCount();
  } catch {
    unread.value = 0; // signed out or offline: the badge simply disappears
  }
}

export function useUnread() {
  if (timer === undefined) timer = window.setInterval(() => void refreshUnread(), 60_000);
  return unread;
}
