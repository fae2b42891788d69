/** Short names for the generated OpenAPI schema types (src/api/schema.d.ts). */
import type { components, operations } from "./schema";

type S = components["schemas"];

export type Need = S["NeedRead"];
export type AwardResult = S["AwardResult"];
export type NeedCreate = S["NeedCreate"];
export type NeedUpdate = S["NeedUpdate"];
export type NeedDraft = S["NeedDraft"];
export type ClarityCheck = S["ClarityCheck"];
export type Clarity = S["ClarityRead"];
export type Capability = S["CapabilityRead"];
export type CapabilityCreate = S["CapabilityCreate"];
export type CapabilityUpdate = S["CapabilityUpdate"];
export type Indicator = S["Indicator"];
export type Contact = S["Contact"];
export type User = S["UserRead"];
export type Role = S["Role"];
export type AccountStatus = S["AccountStatus"];
export type OrgKind = S["OrgKind"];
export type Field = S["FieldRead"];
export type AuditEvent = S["AuditEventRead"];
export type RegisterIn = S["RegisterIn"];
export type TokenOut = S["TokenOut"];
export type ErrorBody = S["ErrorBody"];
export type NeedStatus = S["NeedStatus"];
export type CapabilityStatus = S["CapabilityStatus"];
export type CallType = S["CallType"];
export type CooperationMode = S["CooperationMode"];
export type Visibility = S["Visibility"];
export type Maturity = S["Maturity"];
export type IpType = S["IpType"];
export type TechLevel = S["TechLevel"];
export type TransactionMode = S["TransactionMode"];

export interface Page<T> {
  items: T[];
  total: number;
  /** False when the list holds more than `total` rows (the count stops at a cap: 1万+). */
  total_exact: boolean;
  page: number;
  page_size: number;
}
export type Application = S["ApplicationRead"];
export type ApplicationCreate = S["ApplicationCreate"];
export type ApplicationStatus = S["ApplicationStatus"];
export type Org = S["OrgRead"];
export type NeedHit = S["NeedHit"];
export type CapabilityHit = S["CapabilityHit"];
export type ScoreBand = S["ScoreBand"];
export type RankModelInfo = S["RankModelRead"];
export type IndicatorCheck = S["IndicatorCheck"];
export type Match = S["MatchRead"];
export type MatchStatus = S["MatchStatus"];
export type BrokerRecord = S["BrokerRecord"];
export type Notification = S["NotificationRead"];
export type PublicStats = S["PublicStats"];
export type AdminStats = S["AdminStats"];
export type Milestone = S["MilestoneRead"];
export type Ledger = S["LedgerRead"];
export type Assignment = S["AssignmentRead"];
export type AssignmentSummary = S["AssignmentSummary"];
/** What a step (submit, decline, withdraw) answers: the assignment's state, not its sheet. */
export type AssignmentState = S["AssignmentState"];
export type ReviewResults = S["ReviewResults"];
export type ReviewStatus = S["ReviewStatus"];

/** How the engine explains a pairing (a search hit, a recommendation, a match). */
export type Explained = Pick<CapabilityHit, "score" | "band" | "band_label" | "parts" | "reasons"> &
  Partial<Pick<CapabilityHit, "shared_terms" | "indicators_met" | "indicators_missed">>;

/** The query parameters of an API operation (by its generated operation name). */
export type Query<Op extends keyof operations> = NonNullable<operations[Op]["parameters"]["query"]>;
