import { computed, ref, shallowRef, watch } from "vue";

import { ApiError, showError } from "@/api/errors";
import type { AuditEvent } from "@/api/types";
import { session } from "@/session";

/**
 * A detail page's record with its state history (a need, a capability, an application, a
 * match): load it whenever the id or the user changes (404 → `missing`); read the history when
 * `seesHistory` allows (default: whoever reads the record); `stepped` takes a step's result (the
 * new state, a fresh history).
 */
export function useDetail<T extends { id: number }>(opts: {
  id: () => number;
  fetch: (id: number) => Promise<T>;
  history: (id: number) => Promise<AuditEvent[]>;
  seesHistory?: (item: T) => boolean;
  /** Called after every (re)load, e.g. to fetch related lists. */
  after?: (item: T) => Promise<void>;
}) {
  const item = shallowRef<T | null>(null);
  const history = ref<AuditEvent[]>([]);
  const missing = ref(false);
  const canSeeHistory = computed(() => !!item.value && (opts.seesHistory?.(item.value) ?? true));

  async function load() {
    missing.value = false;
    try {
      item.value = await opts.fetch(opts.id());
      history.value = canSeeHistory.value ? await opts.history(opts.id()) : [];
      await opts.after?.(item.value);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) missing.value = true;
      else showError(err);
    }
  }
  watch(() => [opts.id(), session.user.value?.id], load, { immediate: true });

  async function stepped(updated: T) {
    item.value = updated;
    try {
      if (canSeeHistory.value) history.value = await opts.history(opts.id());
    } catch (err) {
      showError(err);
    }
  }
  return { item, history, missing, canSeeHistory, stepped, load };
}
