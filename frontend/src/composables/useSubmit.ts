import type { FormInstance } from "element-plus";
import { type Ref, ref } from "vue";

import { showError } from "@/api/errors";

/**
 * A form's submit: validate the form (its template ref), then run the task with `loading` set; a
 * failure goes to `failed` (default: shown to the user). Answers whether the task went through.
 */
export function useSubmit(formRef: Ref<FormInstance | undefined>) {
  const loading = ref(false);
  async function submit(task: () => Promise<unknown>, failed: (err: unknown) => void = showError): Promise<boolean> {
    if (!(await formRef.value?.validate().catch(() => false))) return false;
    loading.value = true;
    try {
      await task();
      return true;
    } catch (err) {
      failed(err);
      return false;
    } finally {
      loading.value = false;
    }
  }
  return { loading, submit };
}
