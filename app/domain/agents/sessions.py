"""Dashboard login sessions, stored server-side in the database (the cookie holds only an id)."""

from __future__ import annotations

from advanced_alchemy.extensions.litestar.session import SessionModelMixin


class WebSession(SessionModelMixin):
    __tablename__ = "web_session"
