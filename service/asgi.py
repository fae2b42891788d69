"""ASGI entry point for uvicorn workers: `uvicorn service.asgi:app`."""

from service.app import create_app
from service.config import get_settings

# The served app runs the in-app deadline tick unless JIEBANG_SCHEDULER_ENABLED=false.
app = create_app(scheduler=get_settings().scheduler_enabled)
