import { computed, ref } from "vue";

import { listFields } from "@/api/catalog";
import type { Field } from "@/api/types";

const fields = ref<Field[]>([]);
let loading: Promise<void> | null = null;

/** The 所属领域 taxonomy, fetched once per page load. */
export function useFields() {
  if (!loading) {
    loading = listFields()
      .then((rows) => {
        fields.value = rows;
      })
      .catch(() => {
        loading = null;
      });
  }
  return fields;
}

/** The 所属领域 as select options (value: the field's code). */
export function useFieldOptions() {
  const all = useFields();
  return computed(() => all.value.map((f) => ({ value: f.code, label: f.name })));
}
