/**
 * What the web app calls things. The API's vocabularies come from api/vocabulary.ts, generated
 * from service/models/enums.py and the lifecycle tables (never copied here); typing each one by
 * its OpenAPI enum makes `vue-tsc` fail when the API gains a value without a label. Below them
 * are the few labels only the web app needs (comparators, tag colours, tab sets).
 */
import type {
  AccountStatus,
  ApplicationStatus,
  CallType,
  CapabilityStatus,
  CooperationMode,
  IpType,
  MatchStatus,
  Maturity,
  NeedStatus,
  OrgKind,
  ReviewStatus,
  Role,
  TechLevel,
  TransactionMode,
  Visibility,
} from "@/api/types";
import { ENUM_LABELS, STEP_LABELS } from "@/api/vocabulary";

export type Labels<T extends string> = Readonly<Record<T, string>>;

export const CALL_TYPE: Labels<CallType> = ENUM_LABELS.CallType;
export const COOPERATION_MODE: Labels<CooperationMode> = ENUM_LABELS.CooperationMode;
export const VISIBILITY: Labels<Visibility> = ENUM_LABELS.Visibility;
export const NEED_STATUS: Labels<NeedStatus> = ENUM_LABELS.NeedStatus;
export const CAPABILITY_STATUS: Labels<CapabilityStatus> = ENUM_LABELS.CapabilityStatus;
export const MATURITY: Labels<Maturity> = ENUM_LABELS.Maturity;
export const IP_TYPE: Labels<IpType> = ENUM_LABELS.IpType;
export const TECH_LEVEL: Labels<TechLevel> = ENUM_LABELS.TechLevel;
export const TRANSACTION_MODE: Labels<TransactionMode> = ENUM_LABELS.TransactionMode;
export const APPLICATION_STATUS: Labels<ApplicationStatus> = ENUM_LABELS.ApplicationStatus;
export const MATCH_STATUS: Labels<MatchStatus> = ENUM_LABELS.MatchStatus;
export const ORG_KIND: Labels<OrgKind> = ENUM_LABELS.OrgKind;
export const ROLE: Labels<Role> = ENUM_LABELS.Role;
export const ACCOUNT_STATUS: Labels<AccountStatus> = ENUM_LABELS.AccountStatus;
export const REVIEW_STATUS: Labels<ReviewStatus> = ENUM_LABELS.ReviewStatus;

export interface Option<T extends string> {
  value: T;
  label: string;
}

/** A vocabulary as select options, in its order; `only` keeps those values (in that order). */
export function options<T extends string>(labels: Labels<T>, only?: readonly T[]): Option<T>[] {
  return (only ?? (Object.keys(labels) as T[])).map((value) => ({ value, label: labels[value] }));
}

/** Status filter tabs: 全部 ("") and then `only` (default: every status) with their labels. */
export function statusTabs<T extends string>(labels: Labels<T>, only?: readonly T[]) {
  return [{ name: "", label: "全部" }, ...options(labels, only).map((o) => ({ name: o.value as string, label: o.label }))];
}

/** Objects with a lifecycle: their state labels and their step (history action) labels. */
export type LifecycleKind = keyof typeof STEP_LABELS;
export const LIFECYCLES: Record<LifecycleKind, { states: Labels<string>; steps: Labels<string> }> = {
  need: { states: NEED_STATUS, steps: STEP_LABELS.need },
  invitation: { states: ENUM_LABELS.InvitationStatus, steps: STEP_LABELS.invitation },
  capability: { states: CAPABILITY_STATUS, steps: STEP_LABELS.capability },
  application: { states: APPLICATION_STATUS, steps: STEP_LABELS.application },
  application_member: { states: ENUM_LABELS.MemberStatus, steps: STEP_LABELS.application_member },
  match: { states: MATCH_STATUS, steps: STEP_LABELS.match },
  duplicate: { states: ENUM_LABELS.DuplicateLinkStatus, steps: STEP_LABELS.duplicate },
  milestone: { states: ENUM_LABELS.MilestoneStatus, steps: STEP_LABELS.milestone },
  review_assignment: { states: REVIEW_STATUS, steps: STEP_LABELS.review_assignment },
  user: { states: ACCOUNT_STATUS, steps: STEP_LABELS.user },
  api_key: { states: ENUM_LABELS.ApiKeyStatus, steps: STEP_LABELS.api_key },
  subscription: { states: ENUM_LABELS.SubscriptionStatus, steps: STEP_LABELS.subscription },
};

/** Organisation kinds a person may register with (government bodies are set up by admins). */
export const REGISTER_ORG_KINDS = options(ORG_KIND, ["enterprise", "university", "institute", "broker_agency"]);
/** The states the posting enterprise ever sees (a forming consortium does not count yet). */
export const RECEIVED_STATUSES: ApplicationStatus[] = ["submitted", "shortlisted", "awarded", "rejected", "withdrawn"];

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

/** Element Plus tag colour for a status of any object. */
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
