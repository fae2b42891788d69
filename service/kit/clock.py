"""The calendar: deadlines and reminders count days in China, whatever the server's zone."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")


def today() -> date:
    """Today's calendar day in China."""
    return datetime.now(CHINA).date()
