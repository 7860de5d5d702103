"""The web console: FastAPI + Jinja2, server-rendered, for QA inspectors, admins and agents."""

from console.web.server import create_app

__all__ = ["create_app"]
