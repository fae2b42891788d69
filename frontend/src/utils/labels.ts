/** Chinese labels for the API's closed vocabularies (the same as service/models/enums.py). */
import type {
  ApplicationStatus,
  CallType,
  CapabilityStatus,
  CooperationMode,
  IpType,
  Maturity,
  NeedStatus,
  OrgKind,
  TechLevel,
  TransactionMode,
  Visibility,
} from "@/api/types";

export interface Option<T extends string> {
  value: T;
  label: string;
}

function options<T extends string>(labels: Record<T, string>): Option<T>[] {
  return (Object.keys(labels) as T[]).map((value) => ({ value, label: labels[value] }));
}

export const CALL_TYPE: Record<CallType, string> = {
  jiebang_guashuai: "揭榜挂帅",
  problem_tender: "难题招标",
  directed: "定向择优",
  regular: "常规需求",
};
export const COOPERATION_MODE: Record<CooperationMode, string> = {
  tech_development: "技术开发",
  tech_transfer: "技术转让",
  tech_license: "技术许可",
  tech_consulting: "技术咨询",
  tech_service: "技术服务",
  joint_research: "联合攻关",
};
export const VISIBILITY: Record<Visibility, string> = {
  public: "公开",
  anonymous: "公开（隐藏企业名称）",
  brokers_only: "仅技术经纪人可见",
};
export const NEED_STATUS: Record<NeedStatus, string> = {
  draft: "草稿",
  submitted: "待审核",
  published: "张榜中",
  rejected: "已驳回",
  under_review: "评审中",
  awarded: "揭榜成功",
  in_progress: "实施中",
  completed: "已验收",
  terminated: "已终止",
  withdrawn: "已撤回",
  expired: "已过期",
};
export const CAPABILITY_STATUS: Record<CapabilityStatus, string> = {
  draft: "草稿",
  submitted: "待审核",
  published: "已发布",
  rejected: "已驳回",
  archived: "已归档",
};
export const MATURITY: Record<Maturity, string> = {
  research: "正在研发",
  sample: "已有样品",
  pilot_small: "通过小试",
  pilot_medium: "通过中试",
  mass_production: "可以量产",
};
export const IP_TYPE: Record<IpType, string> = {
  patent: "专利",
  software_copyright: "软件著作权",
  ic_layout: "集成电路布图设计",
  trade_secret: "技术秘密",
  none: "无",
};
export const TECH_LEVEL: Record<TechLevel, string> = {
  international_leading: "国际领先",
  international_advanced: "国际先进",
  domestic_leading: "国内领先",
  domestic_advanced: "国内先进",
  domestic_general: "国内一般",
};
export const TRANSACTION_MODE: Record<TransactionMode, string> = {
  exclusive_license: "独占许可",
  ordinary_license: "普通许可",
  ownership_transfer: "所有权转让",
  joint_development: "合作开发",
  tech_service: "技术服务",
  tech_consulting: "技术咨询",
  equity_investment: "作价投资",
};
export const APPLICATION_STATUS: Record<ApplicationStatus, string> = {
  forming: "待成员确认",
  submitted: "已提交",
  shortlisted: "入围",
  awarded: "揭榜成功",
  rejected: "未入选",
  withdrawn: "已撤回",
  dissolved: "联合体未成立",
};
/** The states the posting enterprise ever sees (a forming consortium does not count yet). */
export const RECEIVED_STATUSES: ApplicationStatus[] = ["submitted", "shortlisted", "awarded", "rejected", "withdrawn"];
export const MATCH_STATUS: Record<string, string> = {
  candidate: "待审核",
  approved: "已通过",
  rejected: "已否决",
  recommended: "已推荐",
  connected: "已对接",
  negotiating: "洽谈中",
  deal: "已签约",
  declined: "未成交",
};
/** Match history reads in the broker's words. */
export const MATCH_ACTION: Record<string, string> = {
  create: "生成候选",
  approve: "审核通过",
  reject: "否决",
  recommend: "推荐给双方",
  interest: "表示有意向",
  connect: "安排对接",
  negotiate: "进入洽谈",
  deal: "签约",
  decline: "未成交",
  note: "修改备注",
};
export const ORG_KIND: Record<string, string> = {
  enterprise: "企业",
  university: "高校",
  institute: "科研院所",
  broker_agency: "技术转移机构",
  government: "政府部门",
};

/** Organisation kinds a person may register with (government bodies are set up by admins). */
export const REGISTER_ORG_KINDS: Option<OrgKind>[] = [
  { value: "enterprise", label: "企业" },
  { value: "university", label: "高校" },
  { value: "institute", label: "科研院所" },
  { value: "broker_agency", label: "技术转移机构" },
];

export const CALL_TYPE_OPTIONS = options(CALL_TYPE);
export const COOPERATION_MODE_OPTIONS = options(COOPERATION_MODE);
export const VISIBILITY_OPTIONS = options(VISIBILITY);
export const NEED_STATUS_OPTIONS = options(NEED_STATUS);
export const CAPABILITY_STATUS_OPTIONS = options(CAPABILITY_STATUS);
export const MATURITY_OPTIONS = options(MATURITY);
export const IP_TYPE_OPTIONS = options(IP_TYPE);
export const TECH_LEVEL_OPTIONS = options(TECH_LEVEL);
export const TRANSACTION_MODE_OPTIONS = options(TRANSACTION_MODE);

export const COMPARATORS = [
  { value: ">=", label: "≥" },
  { value: "<=", label: "≤" },
  { value: ">", label: ">" },
  { value: "<", label: "<" },
  { value: "=", label: "=" },
] as const;

export function comparatorLabel(value: string): string {
  return COMPARATORS.find((c) => c.value === value)?.label ?? value;
}

/** Lifecycle action names as the history shows them. */
export const ACTION: Record<string, string> = {
  create: "创建草稿",
  submit: "提交审核",
  approve: "审核通过",
  reject: "驳回",
  withdraw: "撤回",
  archive: "归档",
  close_applications: "截止揭榜，进入评审",
  award: "确定揭榜方",
  start: "开始实施",
  complete: "验收完成",
  terminate: "终止",
  expire: "过期",
  shortlist: "入围",
};
/** Application history reads differently: "create" is the submission itself. */
export const APPLICATION_ACTION: Record<string, string> = {
  ...ACTION,
  create: "提交揭榜申请",
  form: "发起联合体揭榜",
  constitute: "成员全部确认，申请生效",
  dissolve: "联合体未成立",
  reject: "不予入选",
  withdraw: "撤回申请",
  award: "确定揭榜成功",
};

/** Element Plus tag colour for a posting status. */
export function statusType(status: string): "success" | "warning" | "danger" | "info" | "primary" {
  switch (status) {
    case "published":
    case "awarded":
    case "completed":
    case "approved":
    case "deal":
    case "accepted":
    case "paid":
    case "confirmed":
      return "success";
    case "submitted":
    case "under_review":
    case "shortlisted":
    case "candidate":
    case "proposed":
    case "assigned":
    case "forming":
    case "invited":
      return "warning";
    case "rejected":
    case "terminated":
    case "declined":
    case "returned":
      return "danger";
    case "in_progress":
    case "recommended":
    case "connected":
    case "negotiating":
    case "pending":
      return "primary";
    default:
      return "info";
  }
}
