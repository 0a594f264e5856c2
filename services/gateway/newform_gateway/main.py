"""The regulator gateway: consumes every `*.events` topic into read models and alerts, serves the
department/regulator API and the zh-CN dashboard (M16, M19, M20)."""

from __future__ import annotations

from fastapi import FastAPI

from newform_common.app import create_service_app
from newform_common.consumer import ConsumerRunner

from . import slices, workers_app
from .config import Settings
from .credit.export import DailyExporter
from .credit.rules import CreditRules
from .measures import page as measures_page
from .projections.base import Context
from .projections.runner import make_batch_handler
from .router import OPENAPI_TAGS, ROUTERS
from .web.shell import mount_web
from .webhooks.deliverer import Deliverer
from .webhooks.documents import document_webhooks

#: Events per polled batch at most: a backlog is projected set-based in large batches (one statement
#: per table each), while a caught-up gateway gets what arrived since the last poll.
PROJECTION_BATCH = 2000


def context_for(settings: Settings) -> Context:
    return Context(
        credit_rules=CreditRules.load(settings.credit_rules_file),
        deadline_default_days=settings.alert_deadline_default_days,
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    ctx = context_for(settings)

    def consumers(db, s: Settings):
        return [
            ConsumerRunner(
                db,
                s.kafka_bootstrap_servers,
                group_id=s.consumer_group,
                pattern=s.topic_pattern,
                batch_handler=make_batch_handler(ctx),
                max_attempts=s.consumer_max_attempts,
                batch_size=PROJECTION_BATCH,
            )
        ]

    async def on_startup(app: FastAPI) -> None:
        app.state.deliverer = app.state.credit_exporter = None
        await workers_app.open_client(app)
        key = settings.credit_export_private_key()
        if settings.credit_export_dir is not None and key is not None:
            app.state.credit_exporter = DailyExporter(app.state.db, key, settings.credit_export_dir)
            await app.state.credit_exporter.start()
        if settings.run_deliverer:
            app.state.deliverer = Deliverer(app.state.db, settings)
            await app.state.deliverer.start()

    async def on_shutdown(app: FastAPI) -> None:
        if app.state.deliverer:
            await app.state.deliverer.stop()
        if app.state.credit_exporter:
            await app.state.credit_exporter.stop()
        await workers_app.close_client(app)

    app = create_service_app(
        settings=settings,
        title="newform gateway",
        description="The regulator's view: every event into read models; alerts routed to the responsible "
        "departments (宁政办〔2022〕41号 M16, M20); platform scorecards; credit records (M6, M19).",
        routers=[*ROUTERS, *workers_app.ROUTERS],
        openapi_tags=OPENAPI_TAGS
        + [{"name": "tokens", "description": "Client credentials for platforms and departments' systems"}],
        consumers=consumers,
        on_startup=on_startup,
        on_shutdown=on_shutdown,
    )
    app.state.ctx = ctx
    document_webhooks(app)
    mount_web(app, [*slices.navigation(), measures_page.NAV])
    return app
