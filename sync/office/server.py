"""Running the office app under uvicorn, and the content bundle -> publishable records helper."""

from __future__ import annotations

import gc
import logging
import os
import socket
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from sync.office.config import OfficeConfig

log = logging.getLogger(__name__)

ENV_DATABASE = "YIZHAN_OFFICE_DATABASE"
ENV_PUBLIC_URL = "YIZHAN_OFFICE_PUBLIC_URL"
ENV_TIMEZONE = "YIZHAN_OFFICE_TIMEZONE"


def build_app(config: OfficeConfig) -> FastAPI:
    from sync.office.api import create_app
    from sync.office.db import OfficeDB

    db = OfficeDB(config.database_url(), pool_size=config.database.pool_size)
    app = create_app(db, public_url=public_url(config), timezone=config.server.timezone,
                     silent_after_min=config.server.silent_after_min, ratings=config.ratings)
    # Everything loaded so far lives as long as the process: keep the garbage collector from
    # walking it again and again (fewer long pauses under load).
    gc.collect()
    gc.freeze()
    return app


def public_url(config: OfficeConfig) -> str:
    return config.server.public_url or f"http://{config.server.host}:{config.server.port}"


def app_factory() -> FastAPI:
    """For `uvicorn --factory` with several worker processes: settings come from the environment."""
    config = OfficeConfig()
    config.database.url = os.environ[ENV_DATABASE]
    config.server.public_url = os.environ.get(ENV_PUBLIC_URL, "")
    config.server.timezone = os.environ.get(ENV_TIMEZONE, config.server.timezone)
    return build_app(config)


def serve(config: OfficeConfig, *, sock: socket.socket | None = None) -> None:
    """Run the server until interrupted (blocking)."""
    import uvicorn

    from sync.office.db import OfficeDB

    url = config.database_url()
    OfficeDB(url).close()  # migrate once, before any worker starts
    log.info("office server on http://%s:%s, database %s", config.server.host, config.server.port,
             _redacted(url))
    # Halls hold waiting pulls: on shutdown they are answered at once (OfficeServer), and in
    # the several-workers mode, cut after a few seconds (the halls simply ask again).
    common: dict[str, Any] = {"log_level": "warning", "access_log": False, "timeout_keep_alive": 30,
                              "timeout_graceful_shutdown": 5}
    if config.server.workers > 1:
        os.environ[ENV_DATABASE] = url
        os.environ[ENV_PUBLIC_URL] = public_url(config)
        os.environ[ENV_TIMEZONE] = config.server.timezone
        uvicorn.run("sync.office.server:app_factory", factory=True, host=config.server.host,
                    port=config.server.port, workers=config.server.workers, **common)
        return
    app = build_app(config)
    server = office_server(app, host=config.server.host, port=config.server.port, **common)
    server.run(sockets=[sock] if sock else None)


def office_server(app: FastAPI, **config: Any) -> Any:
    """A uvicorn server for the office app that answers the waiting pulls when it shuts down
    (uvicorn would otherwise wait for each of them to time out)."""
    import uvicorn

    class OfficeServer(uvicorn.Server):
        async def shutdown(self, sockets: Any = None) -> None:
            app.state.waiters.release_all()
            await super().shutdown(sockets)

    return OfficeServer(uvicorn.Config(app, **config))


def _redacted(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def bundle_records(directory: Path) -> list[dict[str, Any]]:
    """A content folder (sync.content_files layout) as publishable {kind, data} records."""
    from sync.content_files import load_bundle

    bundle = load_bundle(directory)
    out: list[dict[str, Any]] = []
    for kind, items in (("category", bundle.categories), ("business_type", bundle.businesses),
                        ("window", bundle.windows), ("guide", bundle.guides), ("notice", bundle.notices),
                        ("disclosure", bundle.disclosures)):
        out += [{"kind": kind, "data": item.model_dump(mode="json")} for item in items]
    return out
