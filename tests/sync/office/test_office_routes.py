"""The office's routes as the halls, the admins and the phones know them: every (method, path) and
the status codes its OpenAPI entry declares, and the console's pages that the schema leaves out.

Written down here as data so that moving routes between modules (sync/office/routes/) cannot
drop one, rename one or change what it declares without this test failing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import pytest

from sync.office.api import create_app
from sync.office.db import OfficeDB

JSON_REFUSALS = ("200", "400", "401", "403", "404", "409", "413", "422", "429")

# (method, path, status codes declared), as app.openapi() lists them
DECLARED = {
    ("GET", "/api/v1/admin/follow-ups", JSON_REFUSALS),
    ("GET", "/api/v1/admin/halls", JSON_REFUSALS),
    ("GET", "/api/v1/admin/proposals", JSON_REFUSALS),
    ("GET", "/api/v1/admin/proposals/{proposal_id}", JSON_REFUSALS),
    ("GET", "/api/v1/follow-ups", JSON_REFUSALS),
    ("GET", "/api/v1/hello", JSON_REFUSALS),
    ("GET", "/api/v1/proposals", JSON_REFUSALS),
    ("GET", "/api/v1/pull", JSON_REFUSALS),
    ("GET", "/api/v1/stats", JSON_REFUSALS),
    ("GET", "/api/v1/stats/satisfaction", JSON_REFUSALS),
    ("GET", "/api/v1/tickets/high-water", JSON_REFUSALS),
    ("GET", "/g/{uid}", ("200", "404", "422")),
    ("GET", "/healthz", ("200",)),
    ("GET", "/stats", ("200", "401", "403", "422")),
    ("GET", "/t/{uid}", ("200", "404", "422")),
    ("GET", "/t/{uid}/live", ("200", "404", "422")),
    ("POST", "/api/v1/admin/follow-ups/{follow_up_id}", JSON_REFUSALS),
    ("POST", "/api/v1/admin/proposals/{proposal_id}/accept", JSON_REFUSALS),
    ("POST", "/api/v1/admin/proposals/{proposal_id}/merge", JSON_REFUSALS),
    ("POST", "/api/v1/admin/proposals/{proposal_id}/reject", JSON_REFUSALS),
    ("POST", "/api/v1/admin/publish", JSON_REFUSALS),
    ("POST", "/api/v1/push", JSON_REFUSALS),
    ("POST", "/t/{uid}/rating", ("303", "404", "409", "422", "429")),
}

# (method, path) of the routes outside the schema: the console's pages and FastAPI's own docs
UNDECLARED = {
    ("GET", "/console"), ("GET", "/console/"), ("GET", "/console/accounts"), ("GET", "/console/audit"),
    ("GET", "/console/content"), ("GET", "/console/content/new"), ("GET", "/console/content/{uid}"),
    ("GET", "/console/content/{uid}/diff"), ("GET", "/console/follow-ups"), ("GET", "/console/halls"),
    ("GET", "/console/halls.json"), ("GET", "/console/login"), ("GET", "/console/proposals"),
    ("GET", "/console/proposals/{proposal_id}"), ("GET", "/console/stats"), ("GET", "/console/stats.csv"),
    ("GET", "/console/stats/satisfaction.csv"),
    ("POST", "/console/accounts"), ("POST", "/console/content/save"), ("POST", "/console/content/{uid}/restore"),
    ("POST", "/console/follow-ups/{follow_up_id}"), ("POST", "/console/halls/{code}/tags"),
    ("POST", "/console/login"), ("POST", "/console/logout"), ("POST", "/console/proposals/{proposal_id}"),
    ("GET", "/docs"), ("HEAD", "/docs"), ("GET", "/docs/oauth2-redirect"), ("HEAD", "/docs/oauth2-redirect"),
    ("GET", "/openapi.json"), ("HEAD", "/openapi.json"), ("GET", "/redoc"), ("HEAD", "/redoc"),
}

# The one mount: the console's static files.
MOUNTS = {"/console/static"}


@pytest.fixture(scope="module")
def app(tmp_path_factory) -> Iterator[Any]:
    db = OfficeDB(f"sqlite:///{tmp_path_factory.mktemp('office') / 'office.sqlite3'}")
    yield create_app(db, roll_up_every_s=None)
    db.close()


def routes_of(routes: Iterable[Any]) -> Iterator[tuple[frozenset[str], str, bool | None]]:
    """(methods, path, in the schema) of every route, through included routers (FastAPI keeps an
    included router as one entry whose own routes are listed by `effective_candidates()`)."""
    for route in routes:
        if hasattr(route, "effective_candidates"):
            yield from routes_of(route.effective_candidates())
        elif hasattr(route, "original_route"):
            yield frozenset(getattr(route.original_route, "methods", None) or ()), route.path, route.include_in_schema
        else:
            yield frozenset(getattr(route, "methods", None) or ()), route.path, getattr(route, "include_in_schema", None)


def test_every_route_declares_what_it_did(app):
    schema = app.openapi()
    declared = {(method.upper(), path, tuple(sorted(op["responses"])))
                for path, item in schema["paths"].items() for method, op in item.items()}
    assert declared - DECLARED == set(), "new or changed routes"
    assert DECLARED - declared == set(), "routes lost or changed"


def test_the_routes_outside_the_schema_are_all_there(app):
    found = list(routes_of(app.routes))
    hidden = {(m, path) for methods, path, shown in found if shown is False for m in methods}
    assert hidden == UNDECLARED
    assert {path for methods, path, shown in found if not methods} == MOUNTS
    shown = {(m, path) for methods, path, shown in found if shown for m in methods}
    assert shown == {(m, p) for m, p, _codes in DECLARED}
    # one route per (method, path): none registered twice by two routers
    pairs = [(m, path) for methods, path, _shown in found for m in methods]
    assert len(pairs) == len(set(pairs))


def test_a_named_console_page_comes_before_the_page_by_uid(app):
    """`/console/content/new` must not be taken for a record whose uid is "new"."""
    paths = [path for _methods, path, _shown in routes_of(app.routes)]
    assert paths.index("/console/content/new") < paths.index("/console/content/{uid}")
