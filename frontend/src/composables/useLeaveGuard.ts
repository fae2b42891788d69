import { onBeforeUnmount, onMounted } from "vue";
import { onBeforeRouteLeave } from "vue-router";

import { confirmAction } from "@/utils/confirm";

/**
 * Warn before leaving a screen with unsaved input: on a route change (asks in the app) and on
 * closing or reloading the tab (the browser's own prompt).
 */
export function useLeaveGuard(dirty: () => boolean, message = "有尚未保存的修改，离开后将丢失。确定离开？"): void {
  onBeforeRouteLeave(async () => (dirty() ? confirmAction(message, "未保存的修改", "离开") : true));
  const onUnload = (event: BeforeUnloadEvent) => {
    if (!dirty()) return;
    event.preventDefault();
    event.returnValue = "";
  };
  onMounted(() => window.addEventListener("beforeunload", onUnload));
  onBeforeUnmount(() => window.removeEventListener("beforeunload", onUnload));
}
