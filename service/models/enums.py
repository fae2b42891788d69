"""Closed vocabularies, each value with its Chinese label (what users see)."""

from enum import StrEnum


class LabelledEnum(StrEnum):
    """A string enum whose members carry a zh-CN label in `LABELS`."""

    @property
    def label(self) -> str:
        return _LABELS[type(self).__name__][self.value]


class OrgKind(LabelledEnum):
    enterprise = "enterprise"
    university = "university"
    institute = "institute"
    broker_agency = "broker_agency"
    government = "government"


class Role(LabelledEnum):
    enterprise = "enterprise"
    researcher = "researcher"
    broker = "broker"
    admin = "admin"
    expert = "expert"


class AccountStatus(LabelledEnum):
    """An account's approval: roles that see contacts or curate wait for an admin."""

    active = "active"
    pending = "pending"
    refused = "refused"


class NeedStatus(LabelledEnum):
    draft = "draft"
    submitted = "submitted"
    published = "published"
    rejected = "rejected"
    under_review = "under_review"
    awarded = "awarded"
    in_progress = "in_progress"
    completed = "completed"
    terminated = "terminated"
    withdrawn = "withdrawn"
    expired = "expired"


class CapabilityStatus(LabelledEnum):
    draft = "draft"
    submitted = "submitted"
    published = "published"
    rejected = "rejected"
    archived = "archived"


class DuplicateLinkStatus(LabelledEnum):
    linked = "linked"
    unlinked = "unlinked"


class ApplicationStatus(LabelledEnum):
    forming = "forming"
    submitted = "submitted"
    shortlisted = "shortlisted"
    awarded = "awarded"
    rejected = "rejected"
    withdrawn = "withdrawn"
    dissolved = "dissolved"


class MemberStatus(LabelledEnum):
    """A consortium member organisation's consent: invited → confirmed | declined."""

    invited = "invited"
    confirmed = "confirmed"
    declined = "declined"


class MatchStatus(LabelledEnum):
    candidate = "candidate"
    approved = "approved"
    rejected = "rejected"
    recommended = "recommended"
    connected = "connected"
    negotiating = "negotiating"
    deal = "deal"
    declined = "declined"


class MatchOrigin(LabelledEnum):
    engine = "engine"
    broker = "broker"
    request = "request"  # a side asked a broker to connect it (请经纪人对接)


class ScoreBand(LabelledEnum):
    """匹配度 bands; thresholds are matching.model.BAND_THRESHOLDS."""

    high = "high"
    medium = "medium"
    low = "low"


class ModelSource(LabelledEnum):
    shipped = "shipped"
    learned = "learned"


class CallType(LabelledEnum):
    jiebang_guashuai = "jiebang_guashuai"
    problem_tender = "problem_tender"
    directed = "directed"
    regular = "regular"


class CooperationMode(LabelledEnum):
    tech_development = "tech_development"
    tech_transfer = "tech_transfer"
    tech_license = "tech_license"
    tech_consulting = "tech_consulting"
    tech_service = "tech_service"
    joint_research = "joint_research"


class Visibility(LabelledEnum):
    public = "public"
    anonymous = "anonymous"
    brokers_only = "brokers_only"


class Maturity(LabelledEnum):
    research = "research"
    sample = "sample"
    pilot_small = "pilot_small"
    pilot_medium = "pilot_medium"
    mass_production = "mass_production"


class IpType(LabelledEnum):
    patent = "patent"
    software_copyright = "software_copyright"
    ic_layout = "ic_layout"
    trade_secret = "trade_secret"
    none = "none"


class TechLevel(LabelledEnum):
    international_leading = "international_leading"
    international_advanced = "international_advanced"
    domestic_leading = "domestic_leading"
    domestic_advanced = "domestic_advanced"
    domestic_general = "domestic_general"


class TransactionMode(LabelledEnum):
    exclusive_license = "exclusive_license"
    ordinary_license = "ordinary_license"
    ownership_transfer = "ownership_transfer"
    joint_development = "joint_development"
    tech_service = "tech_service"
    tech_consulting = "tech_consulting"
    equity_investment = "equity_investment"


class MilestoneStatus(LabelledEnum):
    proposed = "proposed"
    pending = "pending"
    submitted = "submitted"
    returned = "returned"
    accepted = "accepted"
    paid = "paid"
    cancelled = "cancelled"


_LABELS: dict[str, dict[str, str]] = {
    "OrgKind": {
        "enterprise": "企业",
        "university": "高校",
        "institute": "科研院所",
        "broker_agency": "技术转移机构",
        "government": "政府部门",
    },
    "Role": {
        "enterprise": "企业用户",
        "researcher": "科研人员",
        "broker": "技术经纪人",
        "admin": "管理员",
        "expert": "评审专家",
    },
    "AccountStatus": {"active": "正常", "pending": "待审核", "refused": "未通过审核"},
    "NeedStatus": {
        "draft": "草稿",
        "submitted": "待审核",
        "published": "张榜中",
        "rejected": "已驳回",
        "under_review": "评审中",
        "awarded": "揭榜成功",
        "in_progress": "实施中",
        "completed": "已验收",
        "terminated": "已终止",
        "withdrawn": "已撤回",
        "expired": "已过期",
    },
    "CapabilityStatus": {
        "draft": "草稿",
        "submitted": "待审核",
        "published": "已发布",
        "rejected": "已驳回",
        "archived": "已归档",
    },
    "DuplicateLinkStatus": {
        "linked": "已标记重复",
        "unlinked": "已取消标记",
    },
    "ApplicationStatus": {
        "forming": "待成员确认",
        "submitted": "已提交",
        "shortlisted": "入围",
        "awarded": "揭榜成功",
        "rejected": "未入选",
        "withdrawn": "已撤回",
        "dissolved": "联合体未成立",
    },
    "MemberStatus": {"invited": "待确认", "confirmed": "已确认", "declined": "已谢绝"},
    "MatchStatus": {
        "candidate": "待审核",
        "approved": "已通过",
        "rejected": "已否决",
        "recommended": "已推荐",
        "connected": "已对接",
        "negotiating": "洽谈中",
        "deal": "已签约",
        "declined": "未成交",
    },
    "MatchOrigin": {"engine": "引擎推荐", "broker": "经纪人添加", "request": "对接申请"},
    "ScoreBand": {"high": "高", "medium": "中", "low": "低"},
    "ModelSource": {"shipped": "出厂默认模型", "learned": "由经纪人标注学习"},
    "CallType": {
        "jiebang_guashuai": "揭榜挂帅",
        "problem_tender": "难题招标",
        "directed": "定向择优",
        "regular": "常规需求",
    },
    "CooperationMode": {
        "tech_development": "技术开发",
        "tech_transfer": "技术转让",
        "tech_license": "技术许可",
        "tech_consulting": "技术咨询",
        "tech_service": "技术服务",
        "joint_research": "联合攻关",
    },
    "Visibility": {
        "public": "公开",
        "anonymous": "公开（隐藏企业名称）",
        "brokers_only": "仅技术经纪人可见",
    },
    "Maturity": {
        "research": "正在研发",
        "sample": "已有样品",
        "pilot_small": "通过小试",
        "pilot_medium": "通过中试",
        "mass_production": "可以量产",
    },
    "IpType": {
        "patent": "专利",
        "software_copyright": "软件著作权",
        "ic_layout": "集成电路布图设计",
        "trade_secret": "技术秘密",
        "none": "无",
    },
    "TechLevel": {
        "international_leading": "国际领先",
        "international_advanced": "国际先进",
        "domestic_leading": "国内领先",
        "domestic_advanced": "国内先进",
        "domestic_general": "国内一般",
    },
    "TransactionMode": {
        "exclusive_license": "独占许可",
        "ordinary_license": "普通许可",
        "ownership_transfer": "所有权转让",
        "joint_development": "合作开发",
        "tech_service": "技术服务",
        "tech_consulting": "技术咨询",
        "equity_investment": "作价投资",
    },
    "MilestoneStatus": {
        "proposed": "待确认",
        "pending": "进行中",
        "submitted": "待验收",
        "returned": "已退回",
        "accepted": "已验收",
        "paid": "已支付",
        "cancelled": "已取消",
    },
}


class ReviewStatus(LabelledEnum):
    """专家论证 assignment: assigned → submitted; declined by the expert; withdrawn by an admin."""

    assigned = "assigned"
    submitted = "submitted"
    declined = "declined"
    withdrawn = "withdrawn"


_LABELS["ReviewStatus"] = {
    "assigned": "待评审",
    "submitted": "已提交",
    "declined": "已谢绝",
    "withdrawn": "已撤销",
}


class ApiKeyStatus(LabelledEnum):
    """An open-data API key (service/opendata): active → revoked."""

    active = "active"
    revoked = "revoked"


_LABELS["ApiKeyStatus"] = {"active": "有效", "revoked": "已吊销"}


# An organisation's own staff: who post for it, apply for it and hear about its postings and
# applications. Experts, brokers and admins who belong to it act in their own capacity.
ORG_STAFF_ROLES = frozenset({Role.enterprise.value, Role.researcher.value})
# Organisations that may join a 揭榜 consortium: never the bureau or a broker agency.
CONSORTIUM_KINDS = frozenset(
    {OrgKind.enterprise.value, OrgKind.university.value, OrgKind.institute.value}
)


class InvitationStatus(LabelledEnum):
    """邀请揭榜 (service/needs/invitations.py): sent is its one state so far."""

    sent = "sent"


_LABELS["InvitationStatus"] = {"sent": "已邀请"}


class SubscriptionStatus(LabelledEnum):
    """A subscription (service/subscriptions): active ⇄ paused, then deleted."""

    active = "active"
    paused = "paused"
    deleted = "deleted"


class SubscriptionKind(LabelledEnum):
    """What a subscription follows: fields and keywords, or the engine's 为我推荐."""

    search = "search"
    recommended = "recommended"


class SubscriptionSide(LabelledEnum):
    """Which postings a subscription follows."""

    need = "need"
    capability = "capability"


class DigestFrequency(LabelledEnum):
    """How often a subscription's e-mail digest goes out."""

    daily = "daily"
    weekly = "weekly"


_LABELS["SubscriptionStatus"] = {"active": "订阅中", "paused": "已暂停", "deleted": "已删除"}
_LABELS["SubscriptionKind"] = {"search": "领域与关键词", "recommended": "为我推荐"}
_LABELS["SubscriptionSide"] = {"need": "技术需求", "capability": "科技成果"}
_LABELS["DigestFrequency"] = {"daily": "每日", "weekly": "每周"}
