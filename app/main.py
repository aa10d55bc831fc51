"""create_app(): the one place that wires plugins, routes and the lifespan."""

from __future__ import annotations

import asyncio
import copy
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import timedelta

from advanced_alchemy.extensions.litestar import SQLAlchemyPlugin
from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.logging import LoggingConfig
from litestar.logging.config import default_handlers
from litestar.middleware.base import DefineMiddleware
from litestar.middleware.session import SessionMiddleware
from litestar.middleware.session.server_side import ServerSideSessionConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from app import log_redaction
from app.bot.claims import bot_claims
from app.bot.manager import BotManager
from app.cli import LeadHeatCLIPlugin
from app.config import PACKAGE, Settings, get_settings
from app.db import build_db_config
from app.domain.agents.sessions import Lifetimes
from app.domain.agents.throttle import LoginThrottle
from app.domain.clock import Clock, system_clock
from app.logs import RequestContextFilter, logging_formatters, request_context_middleware
from app.sweep import PURGE_INTERVAL_SECONDS, run_purges, run_sweeps
from app.web.api import MAX_BODY, api_router
from app.web.api.auth import BEARER_SCHEME
from app.web.api.schemas import lead_json
from app.web.dashboard import templating
from app.web.dashboard.live import CardPublisher, LiveHub, build_channels
from app.web.dashboard.pages import card_renderer
from app.web.dashboard.router import dashboard_router
from app.web.errors import EXCEPTION_HANDLERS
from app.web.health import HealthController
from app.web.https import strict_transport_security
from app.web.login_sessions import LoginSessionBackend
from app.web.openapi import LocalSwaggerUI
from app.web.security_headers import add_security_headers
from app.web.unit_of_work import unit_of_work_middleware
from app.webhook_worker import WebhookWorker


def logging_config(settings: Settings) -> LoggingConfig:
    """Our lines and the server's (uvicorn's access and error lines) through one handler, which
    adds the request's fields; JSON lines when LOG_FORMAT=json."""
    handlers = copy.deepcopy(default_handlers)
    for handler in handlers.values():
        handler["filters"] = ["request_context"]
    server = {"handlers": ["queue_listener"], "propagate": False}
    return LoggingConfig(
        root={"level": settings.log_level, "handlers": ["queue_listener"]},
        formatters=logging_formatters(settings.log_format),
        filters={"request_context": {"()": RequestContextFilter}},
        handlers=handlers,
        loggers={"uvicorn": server, "uvicorn.access": server, "uvicorn.error": {"propagate": True}},
        log_exceptions="debug",
        disable_existing_loggers=False,
    )


def create_app(settings: Settings | None = None, clock: Clock = system_clock) -> Litestar:
    settings = settings or get_settings()
    db_config = build_db_config(settings)
    channels = build_channels(settings)
    notify = CardPublisher(channels)
    live = LiveHub(channels, db_config.get_session, clock)
    secret = settings.resolved_secret_key()
    lifetimes = Lifetimes(
        idle=timedelta(minutes=settings.session_idle_minutes),
        absolute=timedelta(hours=settings.session_absolute_hours),
    )
    session_config = ServerSideSessionConfig(
        key="session",
        max_age=int(lifetimes.absolute.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=settings.cookies_secure,
        exclude=["/api/", "/health", "/ready", "/static/", "/schema"],
    )
    sessions = LoginSessionBackend(session_config, db_config.get_session, clock, lifetimes)

    async def start_live_cards(app: Litestar) -> None:
        log_redaction.install()  # again: the server may have set up its handlers since
        await live.start(card_renderer(app))

    async def stop_live_cards() -> None:
        await live.stop()

    @asynccontextmanager
    async def background_tasks(app: Litestar) -> AsyncIterator[None]:
        sweep = asyncio.create_task(
            run_sweeps(db_config.get_session, settings.sweep_interval_seconds, clock, notify),
            name="score-sweep",
        )
        purge = asyncio.create_task(
            run_purges(db_config.get_session, PURGE_INTERVAL_SECONDS, clock), name="session-purge"
        )
        webhooks = asyncio.create_task(
            WebhookWorker(
                db_config.get_session,
                clock,
                secret,
                lead_json,
                bot_claims(settings),
                allow_private=settings.webhook_allow_private,
            ).run(),
            name="webhooks",
        )
        tasks = [sweep, purge, webhooks]
        if settings.bot_polling:
            bots = BotManager(
                db_config.get_session,
                secret,
                clock,
                notify,
                api_url=settings.telegram_api_url,
                claims=bot_claims(settings),
            )
            tasks.append(asyncio.create_task(bots.run(), name="telegram-bots"))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with suppress(asyncio.CancelledError):
                    await task

    app = Litestar(
        route_handlers=[
            HealthController,
            api_router(),
            dashboard_router(),
            create_static_files_router(
                path="/static", directories=[PACKAGE / "static"], include_in_schema=False
            ),
        ],
        request_max_body_size=MAX_BODY,
        plugins=[SQLAlchemyPlugin(config=db_config), channels, LeadHeatCLIPlugin()],
        # The unit of work is listed after (inside) the login-session middleware, so each
        # request's transaction ends before the login session is written back.
        middleware=[
            request_context_middleware(),  # outermost: every line of the request has its id
            DefineMiddleware(SessionMiddleware, backend=sessions),
            unit_of_work_middleware(db_config.session_scope_key),
        ],
        csrf_config=CSRFConfig(
            secret=secret,
            cookie_name="leadheat_csrf",
            header_name="x-csrftoken",
            cookie_samesite="lax",
            cookie_secure=settings.cookies_secure,
            # Bearer-token API calls carry no cookies to forge; probes and docs change nothing.
            exclude=["/api/", "/health", "/ready", "/schema"],
        ),
        template_config=TemplateConfig(
            directory=PACKAGE / "web" / "templates",
            engine=JinjaTemplateEngine,
            engine_callback=templating.configure,
        ),
        lifespan=[background_tasks],
        before_send=[add_security_headers, *([strict_transport_security] if settings.cookies_secure else [])],
        # After the lifespan managers (the channels plugin among them) have started.
        on_startup=[start_live_cards],
        on_shutdown=[stop_live_cards],
        exception_handlers=EXCEPTION_HANDLERS,
        logging_config=logging_config(settings),
        openapi_config=OpenAPIConfig(
            title="LeadHeat API",
            version="1.0.0",
            description="Lead scoring for real-estate agencies: push leads and events, read live scores.",
            path="/schema",
            render_plugins=[LocalSwaggerUI()],
            components=Components(
                security_schemes={
                    BEARER_SCHEME: SecurityScheme(
                        type="http",
                        scheme="bearer",
                        description="An agency's API token (`litestar leadheat create-tenant` prints one).",
                    )
                }
            ),
        ),
        debug=settings.debug,
    )
    app.state.settings = settings
    app.state.clock = clock
    app.state.db_config = db_config
    app.state.notify = notify
    app.state.live = live
    app.state.session_cookie = session_config.key
    app.state.secret_key = secret
    app.state.login_throttle = LoginThrottle(db_config.get_session, clock)
    app.state.trusted_proxies = settings.trusted_proxy_networks
    level = logging.getLevelNamesMapping().get(settings.log_level.upper(), logging.INFO)
    logging.getLogger("leadheat").setLevel(level)
    # aiogram logs every update at INFO ("Update id=... is handled"); its warnings still show.
    logging.getLogger("aiogram.event").setLevel(max(logging.WARNING, level))
    log_redaction.install()
    return app
