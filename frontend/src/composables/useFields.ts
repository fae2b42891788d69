import { ref } from "vue";

import { api, call } from "@/api/client";
import type { Field } from "@/api/types";

const fields = ref<Field[]>([]);
let loading: Promise<void> | null = null;

/** The 所属领域 taxonomy, fetched once per page load. */
export function useFields() {
  if (!loading) {
    loading = call(api.GET("/api/v1/fields"))
      .then((rows) => {
        fields.value = rows;
      })
      .catch(() => {
        loading = null;
      });
  }
  return fields;
}
