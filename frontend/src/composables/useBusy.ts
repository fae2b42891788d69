import { type Ref, ref } from "vue";

import { showError } from "@/api/errors";

/**
 * What is running now — a row's id, a button's name — while one task runs; a failure goes to
 * `failed` (default: shown to the user). `run` answers whether the task went through.
 */
export function useBusy<K extends string | number>() {
  const busy = ref(null) as Ref<K | null>;
  async function run(key: K, task: () => Promise<unknown>, failed: (err: unknown) => void = showError): Promise<boolean> {
    busy.value = key;
    try {
      await task();
      return true;
    } catch (err) {
      failed(err);
      return false;
    } finally {
      busy.value = null;
    }
  }
  return { busy, run };
}
