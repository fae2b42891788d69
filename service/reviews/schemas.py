from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from service.kit.inputs import Id, Line, Text, Version
from service.kit.money import Percent, yuan_to_wan
from service.models import Application, Need, User
from service.models.enums import ApplicationStatus, CallType, ReviewStatus
from service.postings.schemas import OrgBrief

Score = Annotated[int, Field(ge=1, le=5)]


class AssignmentFilter(BaseModel):
    need_id: Id | None = None
    status: ReviewStatus | None = None


class CriterionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    description: str
    weight: Decimal = Field(description="在综合得分中的权重")


Weight = Percent


class CriterionAdminRead(CriterionRead):
    sort_order: int
    is_active: bool


class CriterionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,31}$", description="英文代码")
    name: Line = Field(min_length=2, max_length=50)
    description: Text = Field(default="", max_length=500)
    weight: Weight = Field(description="权重（>0，≤100）")
    sort_order: int = Field(default=0, ge=0, le=100000)


class CriterionUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Line | None = Field(default=None, min_length=2, max_length=50)
    description: Text | None = Field(default=None, max_length=500)
    weight: Weight | None = None
    sort_order: int | None = Field(default=None, ge=0, le=100000)
    is_active: bool | None = None


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    expert_id: Id = Field(description="评审专家的用户 id（角色须为评审专家）")
    application_ids: Annotated[list[Id], Field(min_length=1, max_length=100)] | None = Field(
        default=None, description="只评审这些申请；缺省为该需求当前全部有效申请"
    )


class ExtendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    application_ids: Annotated[list[Id], Field(min_length=1, max_length=100)]


class ReviewIn(BaseModel):
    """Scores (1–5) per criterion code and a comment; may be saved partly until submitted."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    scores: Annotated[dict[Annotated[Line, Field(max_length=32)], Score], Field(max_length=20)]
    comment: Text = Field(default="", max_length=4000, description="评审意见")


class SubmitIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    comment: Text = Field(default="", max_length=4000, description="总体意见（可选）")
    version: Version | None = None


class ExpertBrief(BaseModel):
    id: int
    display_name: str
    org: OrgBrief | None

    @classmethod
    def build(cls, user: User) -> "ExpertBrief":
        org = OrgBrief.of(user.org) if user.org else None
        return cls(id=user.id, display_name=user.display_name, org=org)


class NeedForReview(BaseModel):
    """The full need text an expert needs to judge the proposals (never the contact)."""

    id: int
    title: str
    org: OrgBrief
    problem: str
    key_difficulty: str
    expected_goal: str
    field_name: str
    keywords: list[str]
    indicators: list[dict[str, str]]
    call_type: CallType
    bounty_wan: str
    deadline: date
    implementation_months: int
    status: str

    @classmethod
    def build(cls, need: Need) -> "NeedForReview":
        return cls(
            id=need.id,
            title=need.title,
            org=OrgBrief.of(need.org),
            problem=need.problem,
            key_difficulty=need.key_difficulty,
            expected_goal=need.expected_goal,
            field_name=need.field.name,
            keywords=list(need.keywords),
            indicators=list(need.indicators),
            call_type=CallType(need.call_type),
            bounty_wan=yuan_to_wan(need.bounty) or "0",
            deadline=need.deadline,
            implementation_months=need.implementation_months,
            status=need.status,
        )


class ProposalForReview(BaseModel):
    id: int
    org: OrgBrief
    members: list[OrgBrief] = Field(description="联合体成员（含牵头单位）")
    shares: list[str] = Field(description="各成员占比（%），与 members 对应")
    technical_plan: str
    work_plan: str
    assessable_goals: str
    requested_amount_wan: str
    timeline_months: int
    team: str
    status: ApplicationStatus

    @classmethod
    def build(cls, app: Application) -> "ProposalForReview":
        return cls(
            id=app.id,
            org=OrgBrief.of(app.org),
            members=[OrgBrief.of(m.org) for m in app.members],
            shares=[format(m.share.normalize(), "f") for m in app.members],
            technical_plan=app.technical_plan,
            work_plan=app.work_plan,
            assessable_goals=app.assessable_goals,
            requested_amount_wan=yuan_to_wan(app.requested_amount) or "0",
            timeline_months=app.timeline_months,
            team=app.team,
            status=ApplicationStatus(app.status),
        )


class ReviewSheet(BaseModel):
    application: ProposalForReview
    scores: dict[str, int]
    comment: str
    complete: bool = Field(description="是否已对全部评审项打分")


class AssignmentSummary(BaseModel):
    id: int
    need_id: int
    need_title: str
    expert: ExpertBrief
    status: ReviewStatus
    status_label: str
    application_ids: list[int]
    conflict_of_interest: bool = Field(description="专家单位已成为发榜方或申请方，须回避")
    conflict_detail: str | None = Field(
        default=None, description="利益冲突的说明（哪一方、下一步怎么做）"
    )
    comment: str
    reason: str | None = Field(description="谢绝或撤销的理由")
    submitted_at: datetime | None
    created_at: datetime
    version: int
    actions: list[str]


class ReviewScores(BaseModel):
    application_id: int
    scores: dict[str, int]
    comment: str


class AssignmentState(BaseModel):
    """What a step of an assignment (submit, decline, withdraw) answers: its new state, the
    scores it holds, its version and the caller's next actions; the sheet (need, proposals,
    criteria) is read again with GET."""

    id: int
    need_id: int
    expert_id: int
    status: ReviewStatus
    status_label: str
    comment: str
    reason: str | None = Field(description="谢绝或撤销的理由")
    submitted_at: datetime | None
    version: int
    actions: list[str]
    reviews: list[ReviewScores] = Field(description="各申请的评分与意见（调用者可见的）")


class AssignmentRead(AssignmentSummary):
    need: NeedForReview
    criteria: list[CriterionRead]
    reviews: list[ReviewSheet]


class CriterionMean(BaseModel):
    code: str
    name: str
    mean: Decimal | None = Field(description="平均分（1–5，两位小数）")


class ExpertSheet(BaseModel):
    """One expert's submitted scores: admins only."""

    assignment_id: int
    expert: ExpertBrief
    scores: dict[str, int]
    comment: str
    overall_comment: str
    submitted_at: datetime | None
    conflict_of_interest: bool = Field(
        description="专家单位在提交后成为申请方：仍计入并标注，由管理员决定保留或撤销指派"
    )


class ApplicationResult(BaseModel):
    application_id: int
    org: OrgBrief
    status: ApplicationStatus
    review_count: int = Field(description="已提交的专家评审份数")
    conflicted_count: int = Field(
        default=0, description="其中存在利益冲突、待管理员决定的份数（已计入）"
    )
    criteria: list[CriterionMean]
    overall: Decimal | None = Field(description="按权重综合的平均分")
    rank: int | None
    sheets: list[ExpertSheet] | None = Field(description="逐位专家的评分（仅管理员可见）")


class ReviewResults(BaseModel):
    need_id: int
    need_title: str
    view: str = Field(description="full（管理员）或 aggregate（发榜企业：只见汇总，不见专家）")
    need_status: str
    need_status_label: str
    deadline: date = Field(description="揭榜截止日")
    results_due: date = Field(
        description="评审结果最迟产生日（揭榜截止日加评审期；逾期未确定揭榜方的需求过期）"
    )
    criteria: list[CriterionRead]
    assignments: dict[str, int] = Field(
        description="各状态的指派数（发榜企业据此知道几位专家在评、几位已提交，不见姓名）"
    )
    applications: list[ApplicationResult]
