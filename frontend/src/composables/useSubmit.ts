import type { FormInstance } from "element-plus";
import { computed, type Ref } from "vue";

import { showError } from "@/api/errors";
import { useBusy } from "@/composables/useBusy";

/**
 * A form's submit: validate the form (its template ref), then run the task with `loading` set; a
 * failure goes to `failed` (default: shown to the user). Answers whether the task went through.
 */
export function useSubmit(formRef: Ref<FormInstance | undefined>) {
  const { busy, run } = useBusy<"submit">();
  const loading = computed(() => busy.value !== null);
  async function submit(task: () => Promise<unknown>, failed: (err: unknown) => void = showError): Promise<boolean> {
    if (!(await formRef.value?.validate().catch(() => false))) return false;
    return run("submit", task, failed);
  }
  return { loading, submit };
}
