"""Services handed to handlers, built per request on the request's database session."""

from __future__ import annotations

from litestar import Request
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.leads.bulk import BulkIntake
from app.domain.leads.export import LeadExport
from app.domain.leads.service import LeadService
from app.domain.tenants.service import TenantService


def provide_lead_service(request: Request, db_session: NamedDependency[AsyncSession]) -> LeadService:
    state = request.app.state
    return LeadService(db_session, state.clock, state.get("notify"))


def provide_tenant_service(request: Request, db_session: NamedDependency[AsyncSession]) -> TenantService:
    state = request.app.state
    return TenantService(db_session, state.clock, state.get("notify"))


def provide_bulk_intake(request: Request, db_session: NamedDependency[AsyncSession]) -> BulkIntake:
    state = request.app.state
    return BulkIntake(db_session, state.clock, state.get("notify"))


def provide_lead_export(request: Request) -> LeadExport:
    """The export reads in a unit of work of its own: it streams on after the request's ends."""
    state = request.app.state
    return LeadExport(state.db_config.get_session, state.clock)
