"""Every ORM model, importable in one line (Alembic reads `Base.metadata` from here)."""

from service.kit.db import Base
from service.models.api_key import ApiKey, ApiKeyUsage, ApiKeyWindow
from service.models.application import Application, ApplicationMember
from service.models.audit import AuditEvent
from service.models.capability import Capability
from service.models.duplicate import DuplicateLink
from service.models.engine import (
    EmbeddingFailure,
    EngineInbox,
    KeywordBlock,
    KeywordDoc,
    KeywordHead,
    KeywordStats,
    PostingVector,
)
from service.models.field import Field
from service.models.intake import IntakeBatch
from service.models.invitation import Invitation
from service.models.mail import MailRetry
from service.models.match import Match
from service.models.milestone import Milestone
from service.models.need import Need
from service.models.notification import Notification
from service.models.org import Organization
from service.models.rank_model import RankModelRecord
from service.models.recommendation import RecommendationList, StoredRecommendation
from service.models.review import Review, ReviewAssignment, ReviewCriterion, ReviewScore
from service.models.subscription import Subscription, SubscriptionDigest, SubscriptionHit
from service.models.throttle import AuthThrottle
from service.models.user import User

__all__ = [
    "ApiKey",
    "ApiKeyUsage",
    "ApiKeyWindow",
    "Application",
    "ApplicationMember",
    "AuditEvent",
    "AuthThrottle",
    "Base",
    "Capability",
    "DuplicateLink",
    "EmbeddingFailure",
    "EngineInbox",
    "Field",
    "IntakeBatch",
    "Invitation",
    "MailRetry",
    "Match",
    "Milestone",
    "Need",
    "Notification",
    "Organization",
    "PostingVector",
    "KeywordDoc",
    "KeywordBlock",
    "KeywordHead",
    "KeywordStats",
    "RankModelRecord",
    "RecommendationList",
    "Review",
    "ReviewAssignment",
    "ReviewCriterion",
    "ReviewScore",
    "StoredRecommendation",
    "Subscription",
    "SubscriptionDigest",
    "SubscriptionHit",
    "User",
]
