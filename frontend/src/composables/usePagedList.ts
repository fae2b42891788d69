import { ref, shallowRef, watch } from "vue";

import { showError } from "@/api/errors";
import type { Page } from "@/api/types";
import { useQueryState } from "@/composables/useQueryState";

/**
 * One page of a list whose filters and page number live in the URL query: reloads whenever the
 * query changes. `fetch` gets the query reader and the page number.
 */
export function usePagedList<T>(
  fetch: (get: (key: string) => string | undefined, page: number) => Promise<Page<T>>,
) {
  const state = useQueryState();
  const items = shallowRef<T[]>([]);
  const total = ref(0);
  const loading = ref(false);

  async function load(): Promise<void> {
    loading.value = true;
    try {
      const out = await fetch(state.get, state.page.value);
      items.value = out.items;
      total.value = out.total;
    } catch (err) {
      showError(err);
    } finally {
      loading.value = false;
    }
  }
  watch(() => state.route.query, load, { immediate: true, deep: true });
  return { ...state, items, total, loading, load };
}
