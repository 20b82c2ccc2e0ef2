"""The office console's pages under /console/: sign-in, halls, statistics, content, accounts.

Server-rendered (Jinja2, autoescaped) with a little JavaScript for the live halls table. Every
form carries the session's CSRF token; the cookie is HttpOnly and SameSite=Strict. Roles: a
viewer reads, an editor also edits content and hall tags, an admin also manages accounts and
admin tokens and reads the audit log.

One router, as the API's (sync/office/routes/); the database and transactions come from
sync/office/deps.py, the signed-in account from the session cookie (`signed_in` below). `install`
adds it to the office app with its static files and its two error pages.
"""

# No `from __future__ import annotations`: FastAPI must see the dependency types.

import csv
import io
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qsl, quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi import Path as UrlPath
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session

from sync import wire
from sync.office import proposals, ratings, store
from sync.office.console import accounts, charts, halls
from sync.office.console import content as content_forms
from sync.office.console.accounts import AccountError, SignedIn
from sync.office.db import OfficeDB
from sync.office.deps import DBDep, TransactionDep
from sync.office.models import ContentRecord, ContentRevision, Hall, utcnow

HERE = Path(__file__).parent
COOKIE = "yizhan_console"
FORM_LIMIT = 512 * 1024  # a guide with every field filled stays far below
BY_NAMES = {"hall": "大厅", "business": "业务", "window": "窗口", "clerk": "工作人员", "day": "日期", "month": "月份"}
# 满意率 groups (ratings.satisfaction's by_*) and the columns each row has
SAT_BY = {"hall": ("hall",), "window": ("hall", "window"), "clerk": ("hall", "clerk"),
          "business": ("hall", "business"), "month": ("hall", "month")}


RowId = Annotated[int, UrlPath(ge=1, le=2**31 - 1)]  # a database id (PostgreSQL's integer)


class NotSignedIn(Exception):
    pass


class Forbidden(Exception):
    def __init__(self, what: str):
        super().__init__(what)
        self.what = what


class Console:
    """The console's own state (one per app: `app.state.console`): its templates, in the office's
    time zone, and its settings."""

    def __init__(self, *, tz: ZoneInfo, silent_after_min: int = 10, secure_cookie: bool = False):
        self.tz = tz
        self.silent_after_min = silent_after_min  # a hall not heard from for this long is shown as silent
        self.secure_cookie = secure_cookie  # the session cookie only over HTTPS
        self.env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]))
        self.env.globals.update(role_names=accounts.ROLE_NAMES, kind_names=content_forms.KIND_NAMES,
                                by_names=BY_NAMES)
        self.env.filters["local"] = lambda v: v.astimezone(tz).strftime("%Y-%m-%d %H:%M") if v else "—"

    def render(self, template: str, request: Request, who: SignedIn | None, status: int = 200,
               **values: Any) -> HTMLResponse:
        html = self.env.get_template(template).render(who=who, path=request.url.path, **values)
        return HTMLResponse(html, status_code=status, headers={
            "Cache-Control": "no-store",
            # Nothing from elsewhere: no CDN, no inline script (the pages' JS is in /console/static).
            "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
                                       "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
            "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"})

    def today(self) -> date:
        return utcnow().astimezone(self.tz).date()


def install(app: FastAPI, console: Console) -> None:
    """Add the console's routes, static files and error pages to the office app."""
    app.state.console = console
    app.mount("/console/static", StaticFiles(directory=HERE / "static"), name="console-static")
    app.exception_handler(NotSignedIn)(_to_sign_in)
    app.exception_handler(Forbidden)(_forbidden)
    app.include_router(router)


async def _to_sign_in(request: Request, exc: NotSignedIn) -> Response:
    if request.url.path.endswith(".json"):
        return JSONResponse({"detail": {"message": "not signed in"}}, status_code=401)
    return RedirectResponse(f"/console/login?next={quote(request.url.path)}", status_code=303)


async def _forbidden(request: Request, exc: Forbidden) -> Response:
    return request.app.state.console.render("error.html", request, None, status=403,
                                            message=f"没有权限：{exc.what}。请联系管理员。 (403 forbidden)")


# --- dependencies ----------------------------------------------------------------------------


async def console_state(request: Request) -> Console:
    return request.app.state.console


def source(request: Request) -> str:
    return request.client.host if request.client else ""


def signed_in(request: Request, db: DBDep) -> SignedIn:
    key = request.cookies.get(COOKIE, "")
    with db.reading() as s:
        who = accounts.session_for(s, key)
    if who is None:
        raise NotSignedIn()
    return who


def may(permission: str) -> Callable[[SignedIn], SignedIn]:
    def check(who: Annotated[SignedIn, Depends(signed_in)]) -> SignedIn:
        if not who.may(permission):
            raise Forbidden({"edit": "编辑", "admin": "管理"}.get(permission, permission))
        return who
    return check


async def form(request: Request, db: DBDep) -> dict[str, str]:
    """The posted form (urlencoded), checked against the session's CSRF token."""
    body = await request.body()
    if len(body) > FORM_LIMIT:
        raise Forbidden("表单过大")
    values = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    key = request.cookies.get(COOKIE, "")
    with db.reading() as s:
        who = accounts.session_for(s, key)
    # Signing in makes a new session, whoever was signed in before (no token to compare yet).
    if who is not None and request.url.path != "/console/login" \
            and not accounts.check_csrf(who, values.get("csrf", "")):
        raise Forbidden("表单已过期或来源不明（CSRF），请刷新页面后重试")
    return values


async def raw_form(request: Request) -> list[tuple[str, str]]:
    return parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)


ConsoleDep = Annotated[Console, Depends(console_state)]
SignedInDep = Annotated[SignedIn, Depends(signed_in)]
Viewer = Annotated[SignedIn, Depends(may("view"))]
Editor = Annotated[SignedIn, Depends(may("edit"))]
Admin = Annotated[SignedIn, Depends(may("admin"))]
Form = Annotated[dict[str, str], Depends(form)]
RawForm = Annotated[list[tuple[str, str]], Depends(raw_form)]

router = APIRouter()


# --- sign-in ---


@router.get("/console", include_in_schema=False)
@router.get("/console/", include_in_schema=False)
def home() -> RedirectResponse:
    return RedirectResponse("/console/halls", status_code=303)


@router.get("/console/login", response_class=HTMLResponse, include_in_schema=False)
def login_page(request: Request, console: ConsoleDep, next: str = "/console/halls") -> HTMLResponse:
    return console.render("login.html", request, None, next=_safe_next(next), error="")


@router.post("/console/login", response_class=HTMLResponse, include_in_schema=False)
def login(request: Request, console: ConsoleDep, transaction: TransactionDep, values: Form) -> Response:
    name, password = values.get("name", ""), values.get("password", "")
    nxt = _safe_next(values.get("next", ""))
    try:
        who, key = transaction(lambda s: _sign_in(s, name, password, source(request)))
    except AccountError as exc:
        return console.render("login.html", request, None, status=401, next=nxt, error=str(exc), name=name)
    response = RedirectResponse(nxt, status_code=303)
    response.set_cookie(COOKIE, key, httponly=True, samesite="strict", secure=console.secure_cookie, path="/console",
                        max_age=accounts.SESSION_HOURS * 3600)
    return response


def _sign_in(s: Session, name: str, password: str, src: str) -> tuple[SignedIn, str]:
    # A failed attempt is counted and audited even though sign_in raises: commit it here.
    try:
        return accounts.sign_in(s, name, password, source=src)
    except AccountError:
        s.commit()
        raise


@router.post("/console/logout", include_in_schema=False)
def logout(request: Request, who: SignedInDep, transaction: TransactionDep,
           values: Form) -> Response:
    transaction(lambda s: accounts.sign_out(s, request.cookies.get(COOKIE, ""), who, source(request)))
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(COOKIE, path="/console")
    return response


# --- halls ---


@router.get("/console/halls", response_class=HTMLResponse, include_in_schema=False)
def halls_page(request: Request, who: Viewer, console: ConsoleDep, db: DBDep) -> HTMLResponse:
    with db.reading() as s:
        rows = halls.glance(s, console.today(), utcnow(), console.silent_after_min)
    return console.render("halls.html", request, who, halls=rows, silent_after_min=console.silent_after_min,
                          today=console.today(),
                  rows_html=halls.rows_html(rows, may_edit=who.may("edit"), csrf=who.csrf))


@router.get("/console/halls.json", include_in_schema=False)
def halls_json(who: Viewer, console: ConsoleDep, db: DBDep) -> JSONResponse:
    with db.reading() as s:
        rows = halls.glance(s, console.today(), utcnow(), console.silent_after_min)
    return JSONResponse({"halls": [r.as_json() for r in rows], "silent_after_min": console.silent_after_min,
                         "at": utcnow().isoformat(timespec="seconds")}, headers={"Cache-Control": "no-store"})


@router.post("/console/halls/{code}/tags", include_in_schema=False)
def hall_tags(request: Request, code: str, who: Editor, console: ConsoleDep, transaction: TransactionDep,
              values: Form) -> Response:
    tags = values.get("tags", "").replace("，", ",").split(",")

    def work(s: Session) -> None:
        clean = store.set_hall_tags(s, code, tags)
        accounts.audit(s, who.name, "hall.tags", f"{code}: {', '.join(clean)}", source(request))

    try:
        transaction(work)
    except store.OfficeError as exc:
        return console.render("error.html", request, who, status=exc.status, message=exc.message)
    return RedirectResponse("/console/halls", status_code=303)


# --- statistics ---


def stats_query(db: OfficeDB, today: date, since: str | None, until: str | None, by: str, hall: str | None
                ) -> tuple[date, date, list[str], list[store.Figures]]:
    end = _parse_day(until) or today
    start = _parse_day(since) or end - timedelta(days=6)
    dims = [d for d in by.split(",") if d] or ["hall"]
    with db.reading() as s:
        figures = store.ticket_figures(s, start, end, hall or None, dims)
    return start, end, dims, figures


@router.get("/console/stats", response_class=HTMLResponse, include_in_schema=False)
def stats_page(request: Request, who: Viewer, console: ConsoleDep, db: DBDep,
               since: Annotated[str | None, Query(max_length=10)] = None,
               until: Annotated[str | None, Query(max_length=10)] = None,
               by: Annotated[str, Query(max_length=60)] = "hall",
               hall: Annotated[str | None, Query(max_length=40)] = None,
               sat: Annotated[str, Query(max_length=20)] = "hall") -> HTMLResponse:
    try:
        start, end, dims, figures = stats_query(db, console.today(), since, until, by, hall)
    except (store.OfficeError, ValueError) as exc:
        return console.render("error.html", request, who, status=422, message=str(getattr(exc, "message", exc)))
    with db.reading() as s:
        codes = list(s.scalars(select(Hall.code).order_by(Hall.code)))
    by_day = figures if dims == ["day"] else None
    if by_day is None:
        with db.reading() as s:
            by_day = store.ticket_figures(s, start, end, hall or None, ["day"])
    totals = _totals(figures)
    svg_days = charts.bars([(str(f.key["day"])[5:], f.issued, f.served) for f in by_day],
                           ("取号", "办结"))
    top = sorted(figures, key=lambda f: -f.issued)[:20]
    svg_groups = charts.bars([(" ".join(str(v) for v in f.key.values()), f.issued, f.served) for f in top],
                             ("取号", "办结"), horizontal=True)
    csv_link = "/console/stats.csv?" + "&".join(
        f"{k}={quote(str(v))}" for k, v in (("since", start), ("until", end), ("by", ",".join(dims)),
                                            ("hall", hall or "")))
    if sat not in SAT_BY:
        sat = "hall"
    with db.reading() as s:
        satisfaction = ratings.satisfaction(s, start, end, hall or None)  # as /api/v1/stats/satisfaction
    sat_link = "/console/stats/satisfaction.csv?" + "&".join(
        f"{k}={quote(str(v))}" for k, v in (("since", start), ("until", end), ("sat", sat), ("hall", hall or "")))
    return console.render("stats.html", request, who, figures=figures[:500], shown_all=len(figures) <= 500,
                  count=len(figures), dims=dims, since=start, until=end, hall=hall or "", codes=codes,
                  totals=totals, svg_days=svg_days, svg_groups=svg_groups, csv_link=csv_link,
                  satisfaction=satisfaction, sat=sat, sat_keys=SAT_BY[sat], sat_link=sat_link,
                  levels=wire.RATING_LEVELS)


@router.get("/console/stats/satisfaction.csv", include_in_schema=False)
def satisfaction_csv(who: Viewer, console: ConsoleDep, db: DBDep,
                     since: Annotated[str | None, Query(max_length=10)] = None,
                     until: Annotated[str | None, Query(max_length=10)] = None,
                     sat: Annotated[str, Query(max_length=20)] = "hall",
                     hall: Annotated[str | None, Query(max_length=40)] = None) -> Response:
    try:
        end = _parse_day(until) or console.today()
        start = _parse_day(since) or end - timedelta(days=6)
    except ValueError as exc:
        return JSONResponse({"detail": {"message": str(exc)}}, status_code=422)
    keys = SAT_BY.get(sat, SAT_BY["hall"])
    with db.reading() as s:
        rows = ratings.satisfaction(s, start, end, hall or None)[f"by_{sat if sat in SAT_BY else 'hall'}"]
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow([*keys, "rated", "satisfied", "rate", *wire.RATING_LEVELS])
    for r in rows:
        w.writerow([*(_csv_safe(r[k]) for k in keys), r["rated"], r["satisfied"], _blank(r["rate"]),
                    *(r["levels"].get(k, 0) for k in wire.RATING_LEVELS)])
    name = f"yizhan-satisfaction-{start}-{end}.csv"
    return Response("\ufeff" + out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/console/stats.csv", include_in_schema=False)
def stats_csv(who: Viewer, console: ConsoleDep, db: DBDep,
              since: Annotated[str | None, Query(max_length=10)] = None,
              until: Annotated[str | None, Query(max_length=10)] = None,
              by: Annotated[str, Query(max_length=60)] = "hall",
              hall: Annotated[str | None, Query(max_length=40)] = None) -> Response:
    try:
        start, end, dims, figures = stats_query(db, console.today(), since, until, by, hall)
    except (store.OfficeError, ValueError) as exc:
        return JSONResponse({"detail": {"message": str(getattr(exc, "message", exc))}}, status_code=422)
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow([*dims, "issued", "served", "not_shown", "waiting", "avg_wait_min", "avg_service_min",
                "median_service_min", "p90_service_min"])
    for f in figures:
        w.writerow([*(_csv_safe(f.key[d]) for d in dims), f.issued, f.served, f.not_shown, f.waiting,
                    _blank(f.avg_wait_min), _blank(f.avg_service_min), _blank(f.median_service_min),
                    _blank(f.p90_service_min)])
    name = f"yizhan-stats-{start}-{end}.csv"
    # With a byte-order mark: Excel (what the office opens CSV with) then reads UTF-8 Chinese right.
    return Response("\ufeff" + out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


# --- content ---


@router.get("/console/content", response_class=HTMLResponse, include_in_schema=False)
def content_list(request: Request, who: Viewer, console: ConsoleDep, db: DBDep,
                 kind: Annotated[str, Query(max_length=20)] = "guide") -> HTMLResponse:
    if kind not in store.CONTENT_MODELS:
        kind = "guide"
    with db.reading() as s:
        rows = content_forms.records(s, kind)
    return console.render("content_list.html", request, who, kind=kind, rows=rows, title=content_forms.title)


def edit_values(s: Session, kind: str, uid: str | None) -> dict[str, Any]:
    codes = list(s.scalars(select(Hall.code).order_by(Hall.code)))
    tags = sorted({t for ts in store.hall_tags(s).values() for t in ts})
    rec = s.get(ContentRecord, uid) if uid else None
    return {"codes": codes, "tags": tags, "record": rec,
            "published": content_forms.published_halls(s, uid) if uid else [],
            "revisions": content_forms.revisions(s, uid) if uid else []}


@router.get("/console/content/new", response_class=HTMLResponse, include_in_schema=False)
def content_new(request: Request, who: Editor, console: ConsoleDep, db: DBDep,
                kind: Annotated[str, Query(max_length=20)] = "guide") -> HTMLResponse:
    if kind not in store.CONTENT_MODELS:
        kind = "guide"
    with db.reading() as s:
        values = edit_values(s, kind, None)
    return console.render("content_edit.html", request, who, kind=kind, uid="", fields=content_forms.form_fields(kind, None),
                  errors={}, message="", **values)


@router.get("/console/content/{uid}", response_class=HTMLResponse, include_in_schema=False)
def content_edit(request: Request, uid: str, who: Viewer, console: ConsoleDep, db: DBDep,
                 message: Annotated[str, Query(max_length=200)] = "") -> HTMLResponse:
    with db.reading() as s:
        rec = s.get(ContentRecord, uid)
        if rec is None:
            return console.render("error.html", request, who, status=404, message=f"没有这条内容 (no record {uid})")
        values = edit_values(s, rec.kind, uid)
    return console.render("content_edit.html", request, who, kind=rec.kind, uid=uid,
                  fields=content_forms.form_fields(rec.kind, rec.data), errors={}, message=message, **values)


def target_halls(s: Session, values: dict[str, str], raw: list[tuple[str, str]]) -> list[str] | str:
    mode = values.get("to", "all")
    if mode == "all":
        return "all"
    if mode == "tags":
        tags = [t.strip() for t in values.get("tags", "").replace("，", ",").split(",") if t.strip()]
        codes = store.halls_tagged(s, tags)
        if not codes:
            raise store.OfficeError(422, f"没有带这些标签的大厅 (no hall has tag {', '.join(tags) or '—'})")
        return codes
    codes = [v for k, v in raw if k == "hall"]
    if not codes:
        raise store.OfficeError(422, "请至少选择一个大厅 (choose at least one hall)")
    return codes


@router.post("/console/content/save", response_class=HTMLResponse, include_in_schema=False)
def content_save(request: Request, who: Editor, console: ConsoleDep, db: DBDep, transaction: TransactionDep,
                 values: Form,
                 raw: RawForm) -> Response:
    kind = values.get("kind", "")
    uid = values.get("uid", "") or None
    if kind not in store.CONTENT_MODELS:
        return console.render("error.html", request, who, status=422, message=f"未知内容类型 {kind!r}")
    data, errors = content_forms.data_from_form(kind, values, uid)
    record = None
    if not errors:
        record, errors = content_forms.check(kind, data)
    if record is not None:
        def work(s: Session) -> tuple[str, int, int]:
            halls_to = target_halls(s, values, raw)
            result = store.publish(s, [{"kind": kind, "data": record}], halls_to, author=who.name)[0]
            accounts.audit(s, who.name, "content.publish",
                           f"{kind} {result.uid} v{result.version} to "
                           f"{halls_to if isinstance(halls_to, str) else ','.join(halls_to)}", source(request))
            return result.uid, result.version, result.halls

        try:
            new_uid, version, n = transaction(work)
        except store.OfficeError as exc:
            errors = {"_": exc.message}
        else:
            msg = f"已发布 第 {version} 版，{n} 个大厅将在下次同步时收到 (published v{version} to {n} halls)"
            return RedirectResponse(f"/console/content/{new_uid}?message={quote(msg)}", status_code=303)
    with db.reading() as s:
        page_values = edit_values(s, kind, uid)
    return console.render("content_edit.html", request, who, status=422, kind=kind, uid=uid or "",
                  fields=content_forms.form_fields(kind, data, errors), errors=errors,
                  message="未发布：请改正标红的字段 (not published: fix the fields in red)", **page_values)


@router.get("/console/content/{uid}/diff", response_class=HTMLResponse, include_in_schema=False)
def content_diff(request: Request, uid: str, who: Viewer, console: ConsoleDep, db: DBDep,
                 rev: Annotated[int, Query(ge=1)]) -> HTMLResponse:
    with db.reading() as s:
        rec = s.get(ContentRecord, uid)
        old = s.get(ContentRevision, rev)
        if rec is None or old is None or old.record_uid != uid:
            return console.render("error.html", request, who, status=404, message="没有这个版本 (no such version)")
        changes = content_forms.diff(old.data, rec.data)
    return console.render("content_diff.html", request, who, record=rec, old=old, changes=changes,
                  title=content_forms.title(rec.kind, rec.data))


@router.post("/console/content/{uid}/restore", include_in_schema=False)
def content_restore(request: Request, uid: str, who: Editor, console: ConsoleDep, transaction: TransactionDep,
                    values: Form) -> Response:
    def work(s: Session) -> int:
        rec = s.get(ContentRecord, uid)
        old = s.get(ContentRevision, int(values.get("rev", "0") or 0))
        if rec is None or old is None or old.record_uid != uid:
            raise store.OfficeError(404, "没有这个版本 (no such version)")
        halls_to: list[str] | str = "all" if rec.to_all else content_forms.published_halls(s, uid)
        result = store.publish(s, [{"kind": rec.kind, "data": old.data}], halls_to or "all", author=who.name)[0]
        accounts.audit(s, who.name, "content.restore", f"{rec.kind} {uid} v{old.version} -> v{result.version}",
                       source(request))
        return result.version

    try:
        version = transaction(work)
    except (store.OfficeError, ValueError) as exc:
        return console.render("error.html", request, who, status=422, message=str(getattr(exc, "message", exc)))
    msg = f"已恢复为新版本 第 {version} 版 (restored as v{version})"
    return RedirectResponse(f"/console/content/{uid}?message={quote(msg)}", status_code=303)


# --- proposals: halls' edits of shared records, decided here (sync/office/proposals.py) ---


@router.get("/console/proposals", response_class=HTMLResponse, include_in_schema=False)
def proposals_page(request: Request, who: Viewer, console: ConsoleDep, db: DBDep,
                   state: Annotated[str, Query(max_length=20)] = "pending",
                   hall: Annotated[str, Query(max_length=40)] = "",
                   message: Annotated[str, Query(max_length=300)] = "") -> HTMLResponse:
    if state not in (*proposals.STATES, "all"):
        state = "pending"
    with db.reading() as s:
        rows = proposals.list_proposals(s, None if state == "all" else state, hall or None)
        codes = list(s.scalars(select(Hall.code).order_by(Hall.code)))
    return console.render("proposals.html", request, who, rows=rows, state=state, hall=hall, codes=codes,
                  message=message, state_words=proposals.STATE_WORDS)


@router.get("/console/proposals/{proposal_id}", response_class=HTMLResponse, include_in_schema=False)
def proposal_page(request: Request, proposal_id: RowId, who: Viewer, console: ConsoleDep, db: DBDep,
                  message: Annotated[str, Query(max_length=300)] = "") -> HTMLResponse:
    with db.reading() as s:
        try:
            view = proposals.get(s, proposal_id)
        except store.OfficeError as exc:
            return console.render("error.html", request, who, status=exc.status, message=exc.message)
    changes = [content_forms.FieldChange(c.field, content_forms.FIELD_LABELS.get(c.field, c.field),
                                         content_forms.shown(c.office), content_forms.shown(c.proposed))
               for c in view.changes]
    return console.render("proposal.html", request, who, p=view, changes=changes, message=message)


@router.post("/console/proposals/{proposal_id}", include_in_schema=False)
def proposal_decide(request: Request, proposal_id: RowId, who: Editor, transaction: TransactionDep,
                    values: Form,
                    raw: RawForm) -> Response:
    action, note = values.get("action", ""), values.get("note", "").strip()[:500]
    take = [v for k, v in raw if k == "take"]

    def work(s: Session) -> proposals.ProposalView:
        if action == "accept":
            view = proposals.accept(s, proposal_id, who.name, note)
        elif action == "merge":
            if not take:  # said in the console's words; proposals.merge refuses it too
                raise store.OfficeError(422, "请勾选至少一个要采纳的字段 (choose at least one field to take)")
            view = proposals.merge(s, proposal_id, take, who.name, note)
        elif action == "reject":
            view = proposals.reject(s, proposal_id, who.name, note)
        else:
            raise store.OfficeError(422, f"未知操作 {action!r} (unknown action)")
        accounts.audit(s, who.name, f"proposal.{action}",
                       f"#{view.id} {view.hall} {view.kind} {view.uid} {view.title}"
                       f"{' fields ' + ','.join(take) if action == 'merge' else ''}"
                       f"{' -> v' + str(view.result_version) if view.result_version else ''}"
                       f"{' note: ' + note if note else ''}", source(request))
        return view

    try:
        view = transaction(work)
    except store.OfficeError as exc:
        msg = f"错误：{exc.message}"
    else:
        msg = f"已{view.state_word.removeprefix('已')}" + (
            f"，发布为第 {view.result_version} 版，各大厅将在下次同步时收到" if view.result_version else "")
    return RedirectResponse(f"/console/proposals/{proposal_id}?message={quote(msg)}", status_code=303)


# --- 差评 follow-ups (回访, 整改): sync/office/ratings.py ---


@router.get("/console/follow-ups", response_class=HTMLResponse, include_in_schema=False)
def follow_ups_page(request: Request, who: Viewer, console: ConsoleDep, db: DBDep,
                    state: Annotated[str, Query(max_length=20)] = "unfinished",
                    hall: Annotated[str, Query(max_length=40)] = "",
                    message: Annotated[str, Query(max_length=300)] = "") -> HTMLResponse:
    states = {"unfinished": ("open", "visited"), "all": None}.get(state, (state,))
    if states is not None and not set(states) <= set(wire.FOLLOW_UP_STATES):
        state, states = "unfinished", ("open", "visited")
    with db.reading() as s:
        rows = ratings.follow_ups(s, hall_code=hall or None, states=states, tz=console.tz)
        codes = list(s.scalars(select(Hall.code).order_by(Hall.code)))
    return console.render("follow_ups.html", request, who, rows=rows, state=state, hall=hall, codes=codes,
                  message=message, state_words=wire.FOLLOW_UP_STATES, levels=wire.RATING_LEVELS,
                  reasons=wire.RATING_REASONS, next_state=ratings.NEXT_STATE)


@router.post("/console/follow-ups/{follow_up_id}", include_in_schema=False)
def follow_up_advance(request: Request, follow_up_id: RowId, who: Editor, console: ConsoleDep, transaction: TransactionDep,
                      values: Form) -> Response:
    to_state, note = values.get("state", ""), values.get("note", "").strip()[:500]

    def work(s: Session) -> wire.FollowUpInfo:
        info = ratings.advance_follow_up(s, follow_up_id, to_state, who.name, note, console.tz)
        accounts.audit(s, who.name, f"follow_up.{to_state}",
                       f"#{info.id} {info.hall} {info.label} {info.level}{' note: ' + note if note else ''}",
                       source(request))
        return info

    if not note:
        msg = "错误：请填写回访或整改情况 (a note is required)"
    else:
        try:
            info = transaction(work)
        except store.OfficeError as exc:
            msg = f"错误：{exc.message}"
        else:
            msg = f"{info.label or info.ticket_uid[:8]}：已记录 {wire.FOLLOW_UP_STATES[info.state]}"
    back = values.get("back", "")  # the list as it was filtered
    back = back if back.startswith("/console/follow-ups") and "\\" not in back else "/console/follow-ups"
    return RedirectResponse(f"{back}{'&' if '?' in back else '?'}message={quote(msg)}", status_code=303)


# --- accounts, admin tokens, audit ---


@router.get("/console/accounts", response_class=HTMLResponse, include_in_schema=False)
def accounts_page(request: Request, who: Admin, console: ConsoleDep, db: DBDep,
                  message: Annotated[str, Query(max_length=300)] = "") -> HTMLResponse:
    with db.reading() as s:
        rows = accounts.accounts(s)
        tokens = store.admin_tokens(s)
    return console.render("accounts.html", request, who, accounts=rows, tokens=tokens, message=message,
                  now=utcnow(), roles=accounts.ROLES)


@router.post("/console/accounts", include_in_schema=False)
def accounts_change(request: Request, who: Admin, console: ConsoleDep, db: DBDep, transaction: TransactionDep,
                    values: Form) -> Response:
    action, name, src = values.get("action", ""), values.get("name", ""), source(request)

    def work(s: Session) -> str:
        if action == "add":
            accounts.add_account(s, name, values.get("role", ""), values.get("password", ""), actor=who.name,
                                 source=src)
            return f"已添加账号 {name}"
        if action == "role":
            accounts.set_role(s, name, values.get("role", ""), actor=who.name, source=src)
            return f"已修改 {name} 的角色"
        if action == "password":
            accounts.set_password(s, name, values.get("password", ""), actor=who.name, source=src)
            return f"已重设 {name} 的密码"
        if action in ("disable", "enable"):
            accounts.set_active(s, name, action == "enable", actor=who.name, source=src)
            return f"已{'启用' if action == 'enable' else '停用'} {name}"
        if action == "unlock":
            accounts.unlock(s, name, actor=who.name, source=src)
            return f"已解锁 {name}"
        if action == "revoke-token":
            token = store.revoke_admin_id(s, int(values.get("token", "0") or 0))
            accounts.audit(s, who.name, "admin_token.revoke", f"#{token.id} {token.name}", src)
            return f"已吊销管理令牌 #{token.id} {token.name}"
        if action == "add-token":
            holder = values.get("holder", "").strip()[:100]
            if not holder:
                raise AccountError("请填写令牌持有人 (who holds the token)")
            new = store.add_admin(s, holder)
            accounts.audit(s, who.name, "admin_token.add", holder, src)
            return f"新管理令牌（只显示这一次）new admin token for {holder}: {new}"
        raise AccountError(f"未知操作 {action!r}")

    try:
        message = transaction(work)
    except (AccountError, store.OfficeError, ValueError) as exc:
        message = "错误：" + str(getattr(exc, "message", exc))
    if action == "add-token" and not message.startswith("错误"):
        # The new token is shown in this answer only: never in a URL (history, logs).
        with db.reading() as s:
            rows, tokens = accounts.accounts(s), store.admin_tokens(s)
        return console.render("accounts.html", request, who, accounts=rows, tokens=tokens, message=message,
                      now=utcnow(), roles=accounts.ROLES)
    return RedirectResponse(f"/console/accounts?message={quote(message)}", status_code=303)


@router.get("/console/audit", response_class=HTMLResponse, include_in_schema=False)
def audit_page(request: Request, who: Admin, console: ConsoleDep, db: DBDep) -> HTMLResponse:
    with db.reading() as s:
        rows = accounts.recent_audit(s, 300)
    return console.render("audit.html", request, who, rows=rows)


def _safe_next(value: str) -> str:
    """Only a console page of this server (no open redirect)."""
    return value if value.startswith("/console/") and not value.startswith("//") and "\\" not in value \
        else "/console/halls"


def _parse_day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"日期 {value!r} 应为 YYYY-MM-DD (date must be YYYY-MM-DD)") from None


def _blank(value: float | None) -> str | float:
    return "" if value is None else value


def _csv_safe(value: Any) -> Any:
    # A cell starting with = + - @ is a formula to a spreadsheet: quote it as text.
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else value if value is not None else ""


def _totals(figures: list[store.Figures]) -> dict[str, Any]:
    issued = sum(f.issued for f in figures)
    served = sum(f.served for f in figures)
    return {"issued": issued, "served": served, "not_shown": sum(f.not_shown for f in figures),
            "waiting": sum(f.waiting for f in figures), "groups": len(figures),
            "served_pct": round(100 * served / issued) if issued else None}


__all__ = ["Console", "install"]
