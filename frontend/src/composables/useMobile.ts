import { onBeforeUnmount, ref } from "vue";

/** True below 768px: menus fold into a drawer, dialogs go full width. */
export function useMobile() {
  const query = window.matchMedia("(max-width: 767px)");
  const mobile = ref(query.matches);
  const update = (e: MediaQueryListEvent) => (mobile.value = e.matches);
  query.addEventListener("change", update);
  onBeforeUnmount(() => query.removeEventListener("change", update));
  return mobile;
}
