/** The need as a posting: its links, its buttons, its 榜单 and its 我的需求 list. */
import {
  createNeed,
  getNeed,
  listNeeds,
  type NeedAction,
  needAction,
  needHistory,
  type NeedQuery,
  needRecommendations,
  searchNeeds,
  updateNeed,
} from "@/api/needs";
import type { CapabilityHit, Need, NeedHit, NeedStatus } from "@/api/types";
import CapabilityHitCard from "@/components/CapabilityHitCard.vue";
import FlowStrip from "@/components/FlowStrip.vue";
import NeedCard from "@/components/NeedCard.vue";
import NeedHitCard from "@/components/NeedHitCard.vue";
import { session } from "@/session";
import type { ActionSpec } from "@/utils/actions";
import { defaultContact, type SectionSpec } from "@/utils/formSpec";
import { CALL_TYPE, COOPERATION_MODE, NEED_STATUS, options, VISIBILITY } from "@/utils/labels";
import { type PostingKind, queryOf, selected } from "@/postings/kind";

const privileged = () => ["broker", "admin"].includes(session.role.value ?? "");

export const NEED_ACTIONS: Record<string, ActionSpec> = {
  edit: { label: "修改", type: "primary", plain: true, to: (id) => `/my/needs/${id}/edit` },
  submit: { label: "提交审核", type: "primary", done: "已提交审核" },
  approve: { label: "审核通过", type: "success", done: "已审核通过并张榜" },
  reject: {
    label: "驳回",
    type: "danger",
    plain: true,
    reason: { title: "驳回需求" },
    done: "已驳回，理由已告知发布方",
  },
  withdraw: {
    label: "撤回",
    confirm: (t) => [`撤回后“${t}”将从榜单下架，确定撤回？`, "撤回需求", "撤回"],
    done: "已撤回",
  },
  applications: { label: "揭榜申请", type: "primary", to: (id) => `/needs/${id}/applications` },
  start: { label: "开始实施", type: "primary", done: "已开始实施" },
  complete: {
    label: "验收完成",
    type: "success",
    confirm: () => ["确认全部里程碑已验收，需求验收完成？", "验收完成", "验收完成"],
    done: "已验收完成",
  },
  terminate: {
    label: "终止",
    type: "danger",
    plain: true,
    reason: { title: "终止需求", noun: "终止理由", reader: "发榜企业和揭榜方", confirm: "确认终止" },
    done: "已终止",
  },
  "request-termination": {
    label: "申请终止",
    type: "danger",
    plain: true,
    reason: { title: "申请终止", noun: "申请理由", reader: "管理员", confirm: "提交申请" },
    done: "已向管理员申请终止",
  },
};

const NEED_FORM: SectionSpec[] = [
  {
    title: "基本信息",
    fields: [
      { prop: "title", label: "需求名称", widget: "text", min: 4, max: 100, placeholder: "一句话说明要解决的技术问题", testId: "need-title-input" },
      { prop: "field", label: "所属领域", widget: "field", required: true, testId: "need-field" },
      { prop: "industry", label: "应用行业", widget: "text", min: 0, max: 100, placeholder: "如：车载显示、锂电池制造" },
      {
        prop: "keywords",
        label: "关键词",
        widget: "tags",
        max: 5,
        required: true,
        delimiter: true,
        placeholder: "输入后按回车添加，1–5 个",
        testId: "need-keywords",
        tip: "关键词用于匹配推荐，请写具体的技术名词，如“纳米压印”“固态电解质”",
      },
    ],
  },
  {
    title: "需求描述",
    fields: [
      { prop: "problem", label: "主要问题", widget: "textarea", min: 10, max: 2000, placeholder: "现状如何、遇到了什么问题、造成了什么影响（尽量给出数据）", testId: "need-problem" },
      { prop: "key_difficulty", label: "技术关键", widget: "textarea", min: 10, max: 2000, placeholder: "需要突破的关键技术难点是什么，已经尝试过哪些方案", testId: "need-key-difficulty" },
      { prop: "expected_goal", label: "预期目标", widget: "textarea", min: 10, max: 2000, placeholder: "希望达到的效果与交付物，最好可量化、可考核", testId: "need-expected-goal" },
      { prop: "indicators", label: "技术指标", widget: "indicators", tip: "结构化的量化指标便于精准匹配，如：良率 ≥ 99.5 %、定位精度 ≤ 1 μm" },
    ],
  },
  {
    title: "悬赏与周期",
    fields: [
      { prop: "call_type", label: "揭榜类型", widget: "radio", options: options(CALL_TYPE) },
      { prop: "cooperation_mode", label: "合作方式", widget: "select", options: options(COOPERATION_MODE) },
      { prop: "bounty_wan", label: "悬赏金额", widget: "money", required: true, placeholder: "如 200", testId: "need-bounty" },
      { prop: "own_investment_wan", label: "拟投入自有资金", widget: "money", placeholder: "选填" },
      { prop: "deadline", label: "揭榜截止", widget: "date", required: true, testId: "need-deadline" },
      { prop: "implementation_months", label: "实施周期", widget: "months", required: true },
    ],
  },
  {
    title: "公开方式与联系人",
    fields: [
      { prop: "visibility", label: "公开方式", widget: "radio", options: options(VISIBILITY) },
      { prop: "contact", label: "联系人", widget: "contact" },
    ],
    tip: "联系方式不会公开，仅技术经纪人和管理员可见",
  },
];

/** The board's states: what the public 榜单 shows; an admin's board holds the rest too. */
const BOARD_STATES: NeedStatus[] = ["published", "under_review", "awarded", "in_progress", "completed"];
const boardStates = () =>
  session.role.value === "admin"
    ? options(NEED_STATUS, [...BOARD_STATES, ...(Object.keys(NEED_STATUS) as NeedStatus[]).filter((s) => s !== "draft" && !BOARD_STATES.includes(s))])
    : options(NEED_STATUS, BOARD_STATES);
/** The board opens on the needs one can still apply to (张榜中). */
const BOARD_DEFAULT_STATUS: NeedStatus = "published";

const SEARCH_KEYS = ["field", "call_type", "bounty_min_wan", "bounty_max_wan", "deadline_from", "deadline_to"];

export const NEED_KIND: PostingKind<Need, NeedHit> = {
  kind: "need",
  noun: "需求",
  paths: { board: "/needs", mine: "/my/needs", create: "/my/needs/new", detail: (id) => `/needs/${id}` },
  get: getNeed,
  history: needHistory,
  step: (need, action, reason) => needAction(need, action as NeedAction, reason),
  actions: NEED_ACTIONS,
  card: NeedCard,
  hitCard: NeedHitCard,
  hitId: (hit) => hit.need.id,
  recommendations: {
    fetch: (id) => needRecommendations(id, 10),
    title: "推荐成果",
    note: "语义 + 关键词 + 技术指标综合匹配",
    empty: "暂无推荐成果",
    testId: "recommended-capabilities",
    card: CapabilityHitCard,
    key: (hit: CapabilityHit) => hit.capability.id,
  },
  form: {
    titles: { create: "发布技术需求", edit: "修改需求" },
    subtitle: "保存为草稿后可随时修改；提交审核通过后在榜单张榜",
    sections: NEED_FORM,
    initial: () => ({
      keywords: [],
      indicators: [],
      call_type: "regular",
      cooperation_mode: "tech_development",
      implementation_months: 12,
      visibility: "public",
      contact: defaultContact(),
    }),
    create: createNeed,
    update: updateNeed,
    notEditable: "该需求当前状态不可修改",
    submitted: "已提交审核，审核通过后将在榜单张榜",
  },
  board: {
    title: "技术需求榜单",
    subtitle: () => `企业出榜 · 全球揭榜${privileged() ? " · 已显示联系方式" : ""}`,
    placeholder: "搜索需求标题、问题描述、关键词",
    searchTestId: "need-search",
    listTestId: "need-list",
    stats: true,
    intro: FlowStrip,
    link: { to: "/results", label: "揭榜结果公示 →", testId: "results-link" },
    statusOnCards: () => true,
    filters: [
      { kind: "field" },
      { kind: "select", key: "call_type", label: "揭榜类型", all: "全部类型", options: options(CALL_TYPE), width: 130 },
      { kind: "range", keys: ["bounty_min_wan", "bounty_max_wan"], label: "悬赏(万元)", noun: "悬赏（万元）" },
      { kind: "dates", keys: ["deadline_from", "deadline_to"], label: "截止日期" },
      {
        kind: "select",
        key: "status",
        label: "状态",
        all: "全部状态",
        options: boardStates,
        default: BOARD_DEFAULT_STATUS,
        width: 120,
        show: (semantic) => !semantic,
      },
    ],
    sorts: [
      { value: "-published_at", label: "最新张榜" },
      { value: "-bounty", label: "悬赏金额从高到低" },
      { value: "bounty", label: "悬赏金额从低到高" },
      { value: "deadline", label: "截止日期最近" },
      { value: "-deadline", label: "截止日期最远" },
    ],
    list: (get, page, pageSize) =>
      listNeeds({
        ...queryOf(get, [...SEARCH_KEYS, "q"]),
        status: selected(get, "status", BOARD_DEFAULT_STATUS),
        sort: get("sort") ?? "-published_at",
        page,
        page_size: pageSize,
      } as NeedQuery),
    search: (get, page, pageSize) =>
      searchNeeds({ ...queryOf(get, SEARCH_KEYS), q: get("q") ?? "", page, page_size: pageSize }),
  },
  mine: {
    title: "我的需求",
    newLabel: "发布需求",
    empty: "还没有需求",
    tabs: ["draft", "submitted", "rejected", "published", "awarded", "withdrawn"],
    buttons: ["edit", "submit", "withdraw", "applications"],
    list: (status, page, pageSize) =>
      listNeeds({ mine: true, status: status as Need["status"] | undefined, sort: "-updated_at", page, page_size: pageSize }),
    showUpdated: true,
  },
};
