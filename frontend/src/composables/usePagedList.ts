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
  const exact = ref(true); // false: more rows than `total` (the count stopped at its cap)
  const loading = ref(false);

  let seq = 0; // a slow answer to an older query must not overwrite a newer one
  async function load(): Promise<void> {
    const mine = ++seq;
    loading.value = true;
    try {
      const out = await fetch(state.get, state.page.value);
      if (mine !== seq) return;
      items.value = out.items;
      total.value = out.total;
      exact.value = out.total_exact;
    } catch (err) {
      showError(err);
    } finally {
      if (mine === seq) loading.value = false;
    }
  }
  watch(() => state.route.query, load, { immediate: true, deep: true });
  /** Show a changed row in place (the items are a shallow ref: rows are replaced, not mutated). */
  function replace(fresh: T & { id: number }): void {
    items.value = items.value.map((x) => ((x as { id?: number }).id === fresh.id ? fresh : x));
  }
  return { ...state, items, total, exact, loading, load, replace };
}
