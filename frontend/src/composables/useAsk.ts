import { type Ref, ref } from "vue";

/**
 * A dialog that asks about one row (a reason to reject it, an amount to award it): `ask(row)`
 * opens it on that row; `answer(task)` runs the task on the row and closes the dialog once the
 * task went through (it answers whether it did). The row stays set while the dialog closes, so
 * its text does not blank out during the animation.
 */
export function useAsk<T>() {
  const target = ref(null) as Ref<T | null>;
  const open = ref(false);
  function ask(row: T) {
    target.value = row;
    open.value = true;
  }
  async function answer(task: (row: T) => Promise<boolean>) {
    const row = target.value;
    if (row !== null && (await task(row))) open.value = false;
  }
  return { target, open, ask, answer };
}
