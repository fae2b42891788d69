import { computed } from "vue";
import { useRoute, useRouter } from "vue-router";

/**
 * List filters kept in the URL query, so a filtered 榜单 can be linked, reloaded and navigated
 * back to. Setting a filter resets the page to 1.
 */
export function useQueryState() {
  const route = useRoute();
  const router = useRouter();

  const get = (key: string): string | undefined => {
    const v = route.query[key];
    const s = Array.isArray(v) ? v[0] : v;
    return s === null || s === undefined || s === "" ? undefined : String(s);
  };

  function set(patch: Record<string, string | number | undefined | null>, keepPage = false): void {
    const query: Record<string, string> = {};
    for (const [k, v] of Object.entries(route.query)) if (typeof v === "string") query[k] = v;
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined || v === null || v === "") delete query[k];
      else query[k] = String(v);
    }
    if (!keepPage && !("page" in patch)) delete query.page;
    void router.push({ query });
  }

  const page = computed(() => Math.max(1, Number(get("page") ?? 1) || 1));
  return { get, set, page, route };
}
