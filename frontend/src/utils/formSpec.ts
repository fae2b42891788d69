/**
 * A guided form as configuration: numbered sections of field specs (components/FormSections.vue
 * renders them). The spec also gives the validation rules, the empty model, how an object fills
 * the model and how the model becomes the request body, so a new field is one line.
 */
import type { FormItemRule, FormRules } from "element-plus";

import type { Contact, Indicator } from "@/api/types";
import { session } from "@/session";
import { WAN_PATTERN } from "@/utils/format";
import type { Option } from "@/utils/labels";

interface Base {
  prop: string;
  label: string;
  required?: boolean;
  placeholder?: string;
  testId?: string;
  tip?: string;
  /** Shown only while this holds for the model. */
  show?: (model: Model) => boolean;
}
export type FieldSpec = Base &
  (
    | { widget: "text"; max: number; min?: number }
    | { widget: "textarea"; max: number; min: number; rows?: [number, number] }
    | { widget: "field" | "indicators" | "contact" | "date" | "trl" }
    | { widget: "tags"; max: number; min?: number; delimiter?: boolean }
    | { widget: "radio" | "select" | "checks"; options: Option<string>[] }
    | { widget: "money"; example?: string }
    | { widget: "money-range"; props: [string, string] }
    | { widget: "months" }
  );
export interface SectionSpec {
  title: string;
  fields: FieldSpec[];
  tip?: string;
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each widget knows its value type
export type Model = Record<string, any>;

const blur = "blur" as const;
const change = "change" as const;

function wanRule(required: boolean, label: string): FormItemRule {
  return {
    validator: (_r: unknown, v: string, cb: (e?: Error) => void) => {
      if (!v) return required ? cb(new Error(`请填写${label}（万元）`)) : cb();
      return WAN_PATTERN.test(v) ? cb() : cb(new Error("请输入数字，单位万元，如 85.5"));
    },
    trigger: blur,
  };
}

function rulesOf(f: FieldSpec): FormRules {
  const ask = { required: true, message: `请${["field", "date", "radio", "select"].includes(f.widget) ? "选择" : "填写"}${f.label}`, trigger: change };
  switch (f.widget) {
    case "text":
    case "textarea": {
      const min = f.min ?? 1;
      if (min === 0) return {};
      return { [f.prop]: [{ ...ask, trigger: blur }, { min, max: f.max, message: `${f.label} ${min}–${f.max} 字`, trigger: blur }] };
    }
    case "tags":
      return f.required ? { [f.prop]: [{ type: "array", required: true, min: f.min ?? 1, max: f.max, message: `请填写 ${f.min ?? 1}–${f.max} 个${f.label}`, trigger: change }] } : {};
    case "money":
      return { [f.prop]: [wanRule(!!f.required, f.label)] };
    case "money-range":
      return Object.fromEntries(f.props.map((p) => [p, [wanRule(false, f.label)]]));
    case "contact":
      return {
        "contact.name": [{ required: true, message: "请填写联系人", trigger: blur }],
        "contact.phone": [
          { required: true, message: "请填写联系电话", trigger: blur },
          { pattern: /^[0-9+\-() ]{5,30}$/, message: "电话格式不正确", trigger: blur },
        ],
      };
    default:
      return f.required ? { [f.prop]: [ask] } : {};
  }
}

/** Element Plus rules for every field of the sections. */
export function formRules(sections: SectionSpec[]): FormRules {
  return Object.assign({}, ...sections.flatMap((s) => s.fields.map(rulesOf)));
}

/** A new posting's contact starts as the signed-in user. */
export function defaultContact(): Contact {
  const user = session.user.value;
  return { name: user?.display_name ?? "", phone: user?.phone ?? "", email: user?.email ?? "" };
}

const copy = (v: unknown): unknown =>
  Array.isArray(v) ? v.map(copy) : v && typeof v === "object" ? { ...(v as object) } : v;
const fieldsOf = (sections: SectionSpec[]) => sections.flatMap((s) => s.fields);
const propsOf = (f: FieldSpec) => (f.widget === "money-range" ? f.props : [f.prop]);

/** Copy an object's values of the form's fields into the model (an absent amount is ""). */
export function fill(model: Model, sections: SectionSpec[], item: Record<string, unknown>): void {
  for (const f of fieldsOf(sections)) {
    for (const p of propsOf(f)) {
      if (item[p] != null) model[p] = copy(item[p]);
      else if (f.widget.startsWith("money")) model[p] = "";
    }
  }
}

/** The request body: tags trimmed, empty indicator rows and empty optional amounts dropped. */
export function payload(model: Model, sections: SectionSpec[]): Model {
  const out: Model = {};
  for (const f of fieldsOf(sections)) {
    for (const p of propsOf(f)) {
      const v = model[p];
      if (f.widget === "tags") out[p] = (v as string[]).map((k) => k.trim()).filter(Boolean);
      else if (f.widget === "indicators") out[p] = (v as Indicator[]).filter((i) => i.name.trim() || i.value.trim());
      else if (f.widget === "text") out[p] = (v as string).trim();
      else if (f.widget.startsWith("money") && !f.required) out[p] = v || null;
      else out[p] = v;
    }
  }
  return out;
}
