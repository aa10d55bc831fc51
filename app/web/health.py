"""Liveness and readiness probes for load balancers and operators."""

from __future__ import annotations

from typing import Any

from alembic.script import ScriptDirectory
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.response import Response
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import MIGRATIONS


def migration_heads() -> set[str]:
    return set(ScriptDirectory(str(MIGRATIONS)).get_heads())


class HealthController(Controller):
    path = ""
    include_in_schema = True
    tags = ["operations"]

    @get("/health", summary="The process is alive", exclude_from_auth=True)
    async def health(self) -> dict[str, str]:
        return {"status": "ok"}

    @get(
        "/ready",
        summary="The database is reachable and its schema is current",
        responses={503: ResponseSpec(dict[str, Any], description="Not ready: database or migrations")},
        exclude_from_auth=True,
    )
    async def ready(self, db_session: NamedDependency[AsyncSession]) -> Response[dict[str, Any]]:
        expected = migration_heads()
        try:
            await db_session.execute(text("SELECT 1"))
            current = set((await db_session.scalars(text("SELECT version_num FROM alembic_version"))).all())
        except Exception as exc:  # noqa: BLE001 - any database failure means "not ready"
            return Response(
                {
                    "status": "unavailable",
                    "database": "unreachable or not migrated",
                    "detail": type(exc).__name__,
                },
                status_code=HTTP_503_SERVICE_UNAVAILABLE,
            )
        if current != expected:
            return Response(
                # Which revisions, an operator reads with `litestar database show-current-revision`:
                # a public probe does not tell the world how old the deployment is.
                {"status": "unavailable", "database": "ok", "migrations": "pending"},
                status_code=HTTP_503_SERVICE_UNAVAILABLE,
            )
        return Response(
            {"status": "ready", "database": "ok", "migrations": "current"},
            status_code=HTTP_200_OK,
        )
