"""`litestar leadheat ...`: operator commands, on the same services as the app."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click
from litestar.plugins import CLIPluginProtocol
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import get_settings
from app.db import build_db_config, unit_of_work
from app.domain.errors import DomainError
from app.domain.tokens.scopes import TokenScope

T = TypeVar("T")


class LeadHeatCLIPlugin(CLIPluginProtocol):
    def on_cli_init(self, cli: click.Group) -> None:
        cli.add_command(leadheat)


def run_with_session(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `work` in one unit of work (committed when it succeeds), turning domain errors into
    clean CLI errors."""

    async def main() -> T:
        config = build_db_config(get_settings())
        try:
            async with unit_of_work(config.get_session) as session:
                return await work(session)
        finally:
            await config.get_engine().dispose()

    try:
        return asyncio.run(main())
    except DomainError as exc:
        raise click.ClickException(exc.message) from None


@click.group(name="leadheat")
def leadheat() -> None:
    """LeadHeat: agencies, re-scoring and demo data."""


@leadheat.command("create-tenant")
@click.option("--name", required=True, help="The agency's name.")
@click.option("--admin-email", required=True, help="Login of the agency's first admin.")
@click.option("--admin-password", required=True, help="At least 12 characters, not a commonly used password.")
@click.option("--currency", default="AED", show_default=True)
@click.option("--phone-region", default="AE", show_default=True, help="Region for numbers without +code.")
@click.option("--time-zone", default="Asia/Dubai", show_default=True)
@click.option("--area", "areas", multiple=True, help="An area the agency sells in (repeatable).")
@click.option("--json", "as_json", is_flag=True, help='Print {"tenant_id": ..., "api_token": ...}.')
def create_tenant(
    name: str,
    admin_email: str,
    admin_password: str,
    currency: str,
    phone_region: str,
    time_zone: str,
    areas: tuple[str, ...],
    as_json: bool,
) -> None:
    """Create an agency with its admin and a first API token (shown once)."""
    from app.domain.tenants.service import TenantService

    async def work(session: AsyncSession) -> Any:
        return await TenantService(session).create(
            name=name,
            admin_email=admin_email,
            admin_password=admin_password,
            currency=currency,
            phone_region=phone_region,
            time_zone=time_zone,
            areas=areas,
        )

    created = run_with_session(work)
    if as_json:
        click.echo(json.dumps({"tenant_id": str(created.tenant.id), "api_token": created.api_token}))
    else:
        click.echo(f"tenant_id: {created.tenant.id}")
        click.echo(f"api_token: {created.api_token}  (shown once; store it now)")


@leadheat.command("create-token")
@click.option("--tenant", "tenant_id", type=click.UUID, required=True)
@click.option(
    "--scope",
    type=click.Choice([s.value for s in TokenScope]),
    required=True,
    help="read: GET only; write: all but scoring rules and webhooks; admin: everything.",
)
@click.option("--name", default="cli", show_default=True, help="To tell tokens apart on the settings page.")
@click.option("--json", "as_json", is_flag=True, help='Print {"token": ..., "scope": ...}.')
def create_token(tenant_id: uuid.UUID, scope: str, name: str, as_json: bool) -> None:
    """Create an API token for an agency (the secret is shown once)."""
    from app.domain.tokens.service import TokenService

    async def work(session: AsyncSession) -> Any:
        return await TokenService(session).issue(tenant_id, name, TokenScope(scope))

    issued = run_with_session(work)
    if as_json:
        click.echo(json.dumps({"token": issued.token, "scope": scope}))
    else:
        click.echo(f"token: {issued.token}  (scope {scope}; shown once, store it now)")


@leadheat.command("rescore")
@click.option("--tenant", "tenant_id", type=click.UUID, default=None, help="Only this agency.")
def rescore(tenant_id: uuid.UUID | None) -> None:
    """Re-score existing leads under each agency's current rules (the backfill)."""
    from app.domain.leads.service import LeadService
    from app.domain.tenants.models import Tenant

    async def work(session: AsyncSession) -> list[tuple[uuid.UUID, int]]:
        tenants = [tenant_id] if tenant_id else list((await session.scalars(select(Tenant.id))).all())
        if tenant_id and await session.get(Tenant, tenant_id) is None:
            raise click.ClickException(f"No agency with id {tenant_id}.")
        service = LeadService(session)
        return [(t, await service.rescore_tenant(t)) for t in tenants]

    for tid, changed in run_with_session(work):
        click.echo(f"tenant {tid}: {changed} lead scores changed")


@leadheat.command("set-bot-token")
@click.option("--tenant", "tenant_id", type=click.UUID, required=True)
@click.option("--token", default=None, help="The token from BotFather (123456789:AA...).")
@click.option("--remove", is_flag=True, help="Remove the agency's bot token.")
def set_bot_token(tenant_id: uuid.UUID, token: str | None, remove: bool) -> None:
    """Connect an agency's Telegram bot (stored encrypted; running apps pick it up within 30 s)."""
    from app.domain.bots.service import BotTokenService

    if remove == bool(token):
        raise click.UsageError("Give --token, or --remove.")

    async def work(session: AsyncSession) -> None:
        service = BotTokenService(session, get_settings().resolved_secret_key())
        if remove:
            await service.remove_token(tenant_id)
        else:
            await service.set_token(tenant_id, token or "")

    run_with_session(work)
    click.echo("bot token removed" if remove else "bot token saved; the bot starts within 30 seconds")


@leadheat.command("add-catalog")
@click.option("--tenant", "tenant_id", type=click.UUID, required=True)
@click.option("--file", "path", type=click.Path(exists=True, dir_okay=False, readable=True), required=True)
@click.option("--title", required=True, help="What leads see, e.g. 'Marina Heights brochure'.")
def add_catalog(tenant_id: uuid.UUID, path: str, title: str) -> None:
    """Add a PDF catalog; the bot's Catalog button sends the newest one."""
    from pathlib import Path

    from app.domain.catalogs.service import CatalogService

    data = Path(path).read_bytes()

    async def work(session: AsyncSession) -> None:
        await CatalogService(session).add(tenant_id, title=title, filename=Path(path).name, data=data)

    run_with_session(work)
    click.echo(f"catalog '{title}' added ({len(data)} bytes)")


@leadheat.command("backup")
@click.argument("out", type=click.Path(dir_okay=False, writable=True))
def backup(out: str) -> None:
    """Copy the embedded SQLite database to OUT, consistently, while the app runs."""
    from app.backup import BackupError, backup_sqlite

    try:
        pages = backup_sqlite(get_settings(), out)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"backed up to {out} ({pages} pages)")


@leadheat.command("demo")
@click.option("--port", default=None, type=int, help="Port the app is served on, for the printed address.")
def demo(port: int | None) -> None:
    """Create the demo agency with sample leads the first time; print how to log in."""
    from app.demo import seed_demo

    logging.getLogger("leadheat.scoring").setLevel(logging.WARNING)  # 300 seeded events, one line each
    info = run_with_session(seed_demo)
    address = f"http://127.0.0.1:{port or 8000}"
    click.echo("")
    click.echo("  LeadHeat demo agency" + (" (created now)" if info.created else ""))
    click.echo(f"  dashboard:  {address}/")
    click.echo(f"  login:      {info.email} / {info.password}")
    click.echo(f"  tenant id:  {info.tenant_id}")
    click.echo(f"  API token:  {info.api_token}")
    click.echo(f"  API docs:   {address}/schema")
    click.echo(
        f"  try:        curl -H 'Authorization: Bearer {info.api_token}' "
        f"{address}/api/tenants/{info.tenant_id}/leads"
    )
    click.echo("")
