import { reactive } from "vue";

/**
 * Server-side (422) messages by field path ("title", "contact.phone", "indicators.0.value").
 * `at(prefix)` joins every message at or under a path, for one el-form-item's `error`.
 */
export function useServerErrors() {
  const errors = reactive<Record<string, string>>({});
  function at(...prefixes: string[]): string {
    return Object.entries(errors)
      .filter(([key]) => prefixes.some((p) => key === p || key.startsWith(`${p}.`)))
      .map(([, message]) => message)
      .join("；");
  }
  function clear(): void {
    for (const key of Object.keys(errors)) delete errors[key];
  }
  return { errors, at, clear };
}
