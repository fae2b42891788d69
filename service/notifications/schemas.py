from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class InboxFilter(BaseModel):
    unread: bool | None = Field(default=None, description="true 只看未读，false 只看已读，缺省全部")


class NotificationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str = Field(description="事件代码，如 application_received")
    title: str
    body: str
    link: str | None = Field(description="站内链接，如 /needs/3")
    object_type: str | None
    object_id: int | None
    read_at: datetime | None
    created_at: datetime


class UnreadCount(BaseModel):
    unread: int


class MarkedRead(BaseModel):
    marked: int = Field(description="本次标记为已读的条数")
