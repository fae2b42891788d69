import type { FormInstance } from "element-plus";
import { ElMessage } from "element-plus";
import { type Ref, ref, shallowRef } from "vue";
import { useRouter } from "vue-router";

import { showError } from "@/api/errors";
import { useServerErrors } from "@/composables/useServerErrors";

interface Posting {
  id: number;
  version: number;
  actions: string[];
  status: string;
  reject_reason?: string | null;
}

/**
 * The guided form of a need or a capability: load the posting to edit (only while the API
 * offers "edit"), save as a draft or save and submit, API field errors beside the fields.
 */
export function usePostingForm<T extends Posting, Body>(opts: {
  id?: number;
  formRef: Ref<FormInstance | undefined>;
  fetch: (id: number) => Promise<T>;
  fill: (item: T) => void;
  payload: () => Body;
  create: (body: Body) => Promise<T>;
  update: (id: number, body: Body & { version: number }) => Promise<T>;
  submit: (item: T) => Promise<T>;
  listPath: string;
  detailPath: (id: number) => string;
  notEditable: string;
  submitted: string;
  /** After a save or a submit answered: true keeps the user on the form (e.g. to read a
   * warning about near-duplicates) instead of going back to the list. */
  afterSave?: (item: T, submitted: boolean) => Promise<boolean>;
}) {
  const router = useRouter();
  const { errors, at, clear } = useServerErrors();
  const formRef = opts.formRef;
  const saving = ref<"" | "draft" | "submit">("");
  const existing = shallowRef<T | null>(null);
  const loaded = ref(opts.id === undefined);

  async function load() {
    if (opts.id === undefined) return;
    try {
      const item = await opts.fetch(opts.id);
      if (!item.actions.includes("edit")) {
        ElMessage.warning(opts.notEditable);
        await router.replace(opts.detailPath(item.id));
        return;
      }
      existing.value = item;
      opts.fill(item);
      loaded.value = true;
    } catch (err) {
      showError(err);
    }
  }
  void load();

  async function save(submit: boolean) {
    if (!(await formRef.value?.validate().catch(() => false))) {
      ElMessage.error("请先完善标红的必填项");
      return;
    }
    saving.value = submit ? "submit" : "draft";
    try {
      const body = opts.payload();
      const item = existing.value
        ? await opts.update(existing.value.id, { ...body, version: existing.value.version })
        : await opts.create(body);
      existing.value = item;
      clear();
      if (submit) {
        await opts.submit(item);
        ElMessage.success(opts.submitted);
      } else {
        ElMessage.success("草稿已保存");
      }
      if (opts.afterSave && (await opts.afterSave(item, submit))) return;
      await router.push(opts.listPath);
    } catch (err) {
      showError(err, errors);
    } finally {
      saving.value = "";
    }
  }
  return { saving, existing, loaded, errors, at, save, router };
}
