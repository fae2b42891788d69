import { ElMessage } from "element-plus";
import { computed, ref, shallowRef, watch } from "vue";

import { ApiError, showError } from "@/api/errors";
import type { AuditEvent } from "@/api/types";
import { session } from "@/session";
import { confirmAction } from "@/utils/confirm";

interface Posting {
  id: number;
  title: string;
  actions: string[];
  is_owner: boolean;
}

/**
 * The detail page of a need or a capability: load (404 → `missing`), the state history for the
 * owner and admins, and the lifecycle buttons (`run`: confirm where asked, act, say what happened).
 */
export function usePostingDetail<T extends Posting, A extends string>(opts: {
  id: () => number;
  fetch: (id: number) => Promise<T>;
  history: (id: number) => Promise<AuditEvent[]>;
  act: (item: T, action: A, reason?: string) => Promise<T>;
  /** Success message per action, e.g. { submit: "已提交审核" }. */
  done: Record<A, string>;
  /** Actions asked about first: [message, title, button]. */
  confirm?: Partial<Record<A, [string, string, string]>>;
  /** Called after every (re)load, e.g. to fetch related lists. */
  after?: (item: T) => Promise<void>;
}) {
  const item = shallowRef<T | null>(null);
  const history = ref<AuditEvent[]>([]);
  const missing = ref(false);
  const busy = ref(false);
  const rejecting = ref(false);
  const canSeeHistory = computed(() => item.value?.is_owner || session.role.value === "admin");
  const has = (action: string) => item.value?.actions.includes(action) ?? false;

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

  async function run(action: A, reason?: string) {
    if (!item.value) return;
    const ask = opts.confirm?.[action] as [string, string, string] | undefined;
    if (ask && !(await confirmAction(...ask))) return;
    busy.value = true;
    try {
      item.value = await opts.act(item.value, action, reason);
      rejecting.value = false;
      ElMessage.success(opts.done[action]);
      if (canSeeHistory.value) history.value = await opts.history(opts.id());
    } catch (err) {
      showError(err);
    } finally {
      busy.value = false;
    }
  }
  return { item, history, missing, busy, rejecting, canSeeHistory, has, run, load };
}
