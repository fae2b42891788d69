/** The capability (科技成果) as a posting: its links, its buttons, its 成果库 and 我的成果 list. */
import {
  type CapabilityAction,
  capabilityAction,
  capabilityHistory,
  capabilityRecommendations,
  type CapabilityQuery,
  createCapability,
  getCapability,
  listCapabilities,
  searchCapabilities,
  updateCapability,
} from "@/api/capabilities";
import type { Capability, CapabilityHit, CapabilityStatus, Maturity, NeedHit } from "@/api/types";
import CapabilityCard from "@/components/CapabilityCard.vue";
import CapabilityHitCard from "@/components/CapabilityHitCard.vue";
import NeedHitCard from "@/components/NeedHitCard.vue";
import type { ActionSpec } from "@/utils/actions";
import { defaultContact, type SectionSpec } from "@/utils/formSpec";
import { IP_TYPE, MATURITY, options, TECH_LEVEL, TRANSACTION_MODE } from "@/utils/labels";
import { type PostingKind, queryOf } from "@/postings/kind";

export const CAPABILITY_ACTIONS: Record<string, ActionSpec> = {
  edit: { label: "修改", type: "primary", plain: true, to: (id) => `/my/capabilities/${id}/edit` },
  submit: { label: "提交审核", type: "primary", done: "已提交审核" },
  approve: { label: "审核通过", type: "success", done: "已审核通过" },
  reject: { label: "驳回", type: "danger", plain: true, reason: { title: "驳回成果" }, done: "已驳回，理由已告知发布方" },
  archive: {
    label: "归档",
    confirm: (t) => [`归档后“${t}”将不再对外展示，确定归档？`, "归档成果", "归档"],
    done: "已归档",
  },
};

const CAPABILITY_FORM: SectionSpec[] = [
  {
    title: "基本信息",
    fields: [
      { prop: "title", label: "成果名称", widget: "text", min: 4, max: 100 },
      { prop: "field", label: "所属领域", widget: "field", required: true },
      { prop: "keywords", label: "关键词", widget: "tags", max: 5, required: true, delimiter: true, placeholder: "输入后按回车添加，1–5 个" },
      { prop: "description", label: "成果简介", widget: "textarea", min: 20, max: 5000, rows: [5, 14], placeholder: "技术原理、解决的问题、创新点、应用场景" },
      { prop: "indicators", label: "性能指标", widget: "indicators" },
    ],
  },
  {
    title: "成熟度与知识产权",
    fields: [
      { prop: "maturity", label: "成熟度", widget: "radio", required: true, options: options(MATURITY) },
      { prop: "trl", label: "技术就绪度", widget: "trl" },
      { prop: "tech_level", label: "技术水平", widget: "select", options: options(TECH_LEVEL) },
      { prop: "ip_type", label: "知识产权", widget: "select", options: options(IP_TYPE) },
      {
        prop: "patent_numbers",
        label: "专利/登记号",
        widget: "tags",
        max: 20,
        placeholder: "如 ZL202110123456.7，回车添加",
        show: (m) => m.ip_type !== "none",
      },
    ],
  },
  {
    title: "交易意向",
    fields: [
      { prop: "transaction_modes", label: "交易方式", widget: "checks", options: options(TRANSACTION_MODE) },
      { prop: "price", label: "参考价格", widget: "money-range", props: ["price_min_wan", "price_max_wan"], tip: "不填写表示面议" },
      { prop: "team", label: "研发团队", widget: "textarea", min: 0, max: 2000, rows: [3, 8], placeholder: "负责人、核心成员及其专长" },
    ],
  },
  { title: "联系人", fields: [{ prop: "contact", label: "联系人", widget: "contact" }] },
];

export const CAPABILITY_KIND: PostingKind<Capability, CapabilityHit> = {
  kind: "capability",
  noun: "成果",
  paths: {
    board: "/capabilities",
    mine: "/my/capabilities",
    create: "/my/capabilities/new",
    detail: (id) => `/capabilities/${id}`,
  },
  get: getCapability,
  history: capabilityHistory,
  step: (cap, action, reason) => capabilityAction(cap, action as CapabilityAction, reason),
  actions: CAPABILITY_ACTIONS,
  card: CapabilityCard,
  hitCard: CapabilityHitCard,
  hitId: (hit) => hit.capability.id,
  recommendations: {
    fetch: (id) => capabilityRecommendations(id, 20),
    title: "匹配需求",
    note: "按匹配度排序，附匹配理由",
    empty: "暂无匹配的需求",
    testId: "matched-needs",
    card: NeedHitCard,
    key: (hit: NeedHit) => hit.need.id,
  },
  form: {
    titles: { create: "发布科技成果", edit: "修改成果" },
    subtitle: "审核通过后在成果库公开，并参与需求匹配推荐",
    sections: CAPABILITY_FORM,
    initial: () => ({
      keywords: [],
      indicators: [],
      maturity: "sample",
      trl: null,
      ip_type: "patent",
      patent_numbers: [],
      tech_level: "domestic_advanced",
      transaction_modes: [],
      contact: defaultContact(),
    }),
    create: createCapability,
    update: updateCapability,
    notEditable: "该成果当前状态不可修改",
    submitted: "已提交审核",
  },
  board: {
    title: "科技成果库",
    subtitle: () => "高校、科研院所的技术能力与科技成果",
    placeholder: "搜索成果名称、描述、关键词",
    filters: [
      { kind: "field" },
      { kind: "select", key: "maturity", label: "成熟度", all: "全部", options: options(MATURITY), width: 130 },
    ],
    sorts: [
      { value: "-published_at", label: "最新发布" },
      { value: "-trl", label: "技术成熟度从高到低" },
      { value: "trl", label: "技术成熟度从低到高" },
    ],
    list: (get, page, pageSize) =>
      listCapabilities({
        ...queryOf(get, ["q", "field", "maturity"]),
        sort: get("sort") ?? "-published_at",
        page,
        page_size: pageSize,
      } as CapabilityQuery),
    search: (get, page, pageSize) =>
      searchCapabilities({
        q: get("q") ?? "",
        field: get("field"),
        maturity: get("maturity") as Maturity | undefined,
        page,
        page_size: pageSize,
      }),
  },
  mine: {
    title: "我的成果",
    newLabel: "发布成果",
    empty: "还没有成果",
    tabs: ["draft", "submitted", "rejected", "published", "archived"],
    buttons: ["edit", "submit", "archive"],
    list: (status, page, pageSize) =>
      listCapabilities({
        mine: true,
        status: status as CapabilityStatus | undefined,
        sort: "-updated_at",
        page,
        page_size: pageSize,
      }),
  },
};
