"""The kiosk's catalogue: published categories, guides, notices and disclosures from the hall
cache (Qt-free).

Loaded once and kept in memory, with the search index built from it
(kiosk/services/search_index.py); "content.changed" on the event bus reloads both (the swap is
one assignment, so a search running on another thread sees either the old or the new index,
never half). A guide's full text is read from the cache when it is opened.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from kiosk.services.catalog_items import (
    CategoryInfo,
    DisclosureInfo,
    GuideDetail,
    GuideSummary,
    MaterialItem,
    NoticeInfo,
)
from kiosk.services.events import ContentChanged, SyncDone
from kiosk.services.search_index import (
    DEFAULT_LIMIT,
    IndexDoc,
    SearchIndex,
    SearchResult,
    settle_garbage_collector,
)

log = logging.getLogger(__name__)


class Catalog:
    """Published categories, guides and notices from the hall cache, plus the search index.

    `attach(events)` makes it reload on "content.changed"; screens register with
    `on_changed(callback)` to redraw (the callback may run on the publisher's thread). A sync
    round announces every record it applied and then "sync.done": the catalogue reloads once,
    at "sync.done", not once per record (a day's catch-up can bring hundreds).
    """

    def __init__(self, cache: Any, events: Any = None, *, lazy_index: bool = False,
                 pinyin_process: bool = False):
        """With `lazy_index` the search index is built on first use (or by
        `build_index_in_background`), so the home screen can paint before pinyin is loaded."""
        self.cache = cache
        self._listeners: list[Callable[[], None]] = []
        self._views: dict[str, int] = {}
        self._lock = threading.Lock()
        self._index_lock = threading.Lock()
        self._categories: list[CategoryInfo] = []
        self._guides: dict[str, GuideSummary] = {}
        self._by_category: dict[str, list[GuideSummary]] = {}
        self._popular: list[GuideSummary] = []
        self._index: SearchIndex | None = None
        self._pending: list[IndexDoc] = []
        self.pinyin_process = pinyin_process
        self.lazy_index = lazy_index
        self._office_changed = False  # content from the office applied; reload at "sync.done"
        self.reloads = 0  # how often the cache was read again (tests, logs)
        self.reload(build_index=not lazy_index)
        if events is not None:
            self.attach(events)

    @property
    def index(self) -> SearchIndex:
        index = self._index
        if index is not None:
            return index
        with self._index_lock:  # a search during the background build waits for it
            if self._index is None:
                self._index = SearchIndex(self._pending, pinyin_process=self.pinyin_process)
                settle_garbage_collector()
            return self._index

    @index.setter
    def index(self, index: SearchIndex) -> None:
        self._index = index

    def build_index_in_background(self) -> threading.Thread:
        thread = threading.Thread(target=lambda: self.index, name="catalog-index", daemon=True)
        thread.start()
        return thread

    # building

    def attach(self, events: Any) -> None:
        events.subscribe(ContentChanged, self._on_content_changed)
        events.subscribe(SyncDone, self._on_sync_done)

    def on_changed(self, callback: Callable[[], None]) -> None:
        self._listeners.append(callback)

    def _on_content_changed(self, event: ContentChanged) -> None:
        if event.source == "office":
            self._office_changed = True
            return
        self._refresh()

    def _on_sync_done(self, _event: SyncDone) -> None:
        if self._office_changed:
            self._office_changed = False
            self._refresh()

    def _refresh(self) -> None:
        self.reload(build_index=not self.lazy_index)
        if self.lazy_index:  # the publisher may be the UI thread (the editor): build elsewhere
            self.build_index_in_background()
        for callback in list(self._listeners):
            try:
                callback()
            except Exception:
                log.exception("catalog listener %r failed", callback)

    def reload(self, build_index: bool = True) -> None:
        self.reloads += 1
        from sync.cache.models import BusinessType, Category, ServiceGuide

        # Plain column rows, two statements: the kiosk starts faster than with ORM objects. One
        # read-only snapshot for both (no write lock: a reload after an edit or a sync never holds
        # up a counter action).
        with self.cache.reading() as session:
            categories = session.execute(
                select(Category.id, Category.code, Category.name, Category.name_en, Category.icon,
                       Category.sort_order).order_by(Category.sort_order, Category.code)).all()
            guides = session.execute(
                select(ServiceGuide.uid, ServiceGuide.code, ServiceGuide.name, ServiceGuide.name_en,
                       ServiceGuide.category_id, ServiceGuide.materials, ServiceGuide.keywords, ServiceGuide.views,
                       BusinessType.code, BusinessType.active)
                .outerjoin(BusinessType, ServiceGuide.business_type_id == BusinessType.id)
                .where(ServiceGuide.published.is_(True))).all()
        cat_rank = {c.id: i for i, c in enumerate(categories)}
        cat_code = {c.id: c.code for c in categories}
        guides.sort(key=lambda g: (cat_rank.get(g.category_id, 1 << 30), g.code or ""))
        summaries: dict[str, GuideSummary] = {}
        by_cat: dict[str, list[GuideSummary]] = {c.code: [] for c in categories}
        docs: list[tuple[int, IndexDoc]] = []
        for order, (uid, code, name, name_en, category_id, materials, keywords, views, b_code, b_active) in (
                enumerate(guides)):
            summary = GuideSummary(
                uid=uid, code=code or "", name=(name or "").strip() or code or "—",
                name_en=(name_en or "").strip(), category_code=cat_code.get(category_id, ""),
                business_code=b_code if b_code and b_active else None, order=order)
            summaries[uid] = summary
            by_cat.setdefault(summary.category_code, []).append(summary)
            material_names = [str(m.get("name", "")) for m in (materials or []) if isinstance(m, dict)]
            keyword_list = [str(k) for k in (keywords or []) if k]
            docs.append(((views or 0) + self._views.get(uid, 0),
                         IndexDoc(summary, keyword_list, [m for m in material_names if m])))
        infos = [CategoryInfo(c.code, c.name, c.name_en or "", c.icon or "", c.sort_order,
                              len(by_cat.get(c.code, []))) for c in categories]
        docs.sort(key=lambda item: (-item[0], item[1].guide.order))  # popular first inside a tier
        ordered = [d for _, d in docs]
        index = SearchIndex(ordered, pinyin_process=self.pinyin_process) if build_index else None
        # Swap in one go: readers on other threads see the old or the new catalogue.
        with self._index_lock:
            self._pending, self._index = ordered, index
            self._categories, self._guides, self._by_category = infos, summaries, by_cat
            self._popular = [d.guide for d in ordered[:50]]
        log.info("catalogue loaded: %d categories, %d guides", len(infos), len(summaries))

    # reading

    def categories(self) -> list[CategoryInfo]:
        return list(self._categories)

    def category(self, code: str) -> CategoryInfo | None:
        return next((c for c in self._categories if c.code == code), None)

    def guides_in(self, category_code: str) -> list[GuideSummary]:
        return list(self._by_category.get(category_code, []))

    def summary(self, uid: str) -> GuideSummary | None:
        return self._guides.get(uid)

    def __len__(self) -> int:
        return len(self._guides)

    def search(self, text: str, limit: int = DEFAULT_LIMIT) -> SearchResult:
        return self.index.search(text, limit)

    def vocabulary(self) -> list[str]:
        """Every guide's name and keywords: the pinyin input offers these words first."""
        return [t for d in self.index.docs for t in (d.guide.name, *d.keywords)]

    def popular(self, n: int = 6) -> list[GuideSummary]:
        return self._popular[:n]

    def guide(self, uid: str) -> GuideDetail | None:
        """The full guide, read from the cache (a local SQLite read, no network, no write lock)."""
        from sync.cache.models import ServiceGuide

        with self.cache.reading() as session:
            g = session.scalar(
                select(ServiceGuide).where(ServiceGuide.uid == uid)
                .options(selectinload(ServiceGuide.category), selectinload(ServiceGuide.business_type)))
            if g is None or not g.published:
                return None
            return _detail(g)

    def notices(self, today: date) -> list[NoticeInfo]:
        with self.cache.reading() as session:
            return [NoticeInfo(n.uid, n.title, n.body or "", n.starts_on, n.ends_on)
                    for n in valid_notices(session, today)]

    def disclosures(self, today: date) -> list[DisclosureInfo]:
        """政务公开 and 财务公开 tables valid on `today`, newest first."""
        from sync.cache.models import Disclosure

        with self.cache.reading() as session:
            rows = session.scalars(select(Disclosure).where(Disclosure.starts_on <= today, Disclosure.ends_on >= today)
                                   .order_by(Disclosure.published_on.desc(), Disclosure.id.desc()))
            return [DisclosureInfo(d.uid, d.title, d.kind, d.period, d.responsible, d.published_on, d.starts_on,
                                   d.ends_on, list(d.columns), [list(r) for r in d.rows], d.notes or "")
                    for d in rows]

    # popularity

    def record_view(self, uid: str) -> None:
        with self._lock:
            self._views[uid] = self._views.get(uid, 0) + 1

    def flush_views(self) -> int:
        """Write the counted views to the cache; call it off the UI thread (it commits)."""
        from sync.cache.models import ServiceGuide

        with self._lock:
            pending, self._views = self._views, {}
        if not pending:
            return 0
        try:
            with self.cache.transaction() as session:
                for uid, n in pending.items():
                    # Keep updated_at: a view is not a content change and must not look like one.
                    session.execute(update(ServiceGuide).where(ServiceGuide.uid == uid).values(
                        views=ServiceGuide.views + n, updated_at=ServiceGuide.updated_at))
        except Exception:
            log.exception("could not store guide view counts; keeping them for the next try")
            with self._lock:
                for uid, n in pending.items():
                    self._views[uid] = self._views.get(uid, 0) + n
            return 0
        return sum(pending.values())


def valid_notices(session: Any, today: date) -> list[Any]:
    """Published notices (公示) valid on `today`, newest first: the kiosk lists them, the
    board scrolls them."""
    from sync.cache.models import Notice

    return list(session.scalars(
        select(Notice).where(Notice.published.is_(True), Notice.starts_on <= today, Notice.ends_on >= today)
        .order_by(Notice.starts_on.desc(), Notice.id.desc())))


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _detail(g: Any) -> GuideDetail:
    materials = []
    for m in g.materials or []:
        if not isinstance(m, dict):
            continue
        name = _text(m.get("name"))
        if not name:
            continue
        try:
            copies = max(0, int(m.get("copies") or 0))
        except (TypeError, ValueError):
            copies = 0
        materials.append(MaterialItem(name, copies, _text(m.get("form")), _text(m.get("notes"))))
    faqs = tuple((_text(f.get("q")), _text(f.get("a"))) for f in (g.faqs or [])
                 if isinstance(f, dict) and _text(f.get("q")))
    bt = g.business_type if g.business_type is not None and g.business_type.active else None
    return GuideDetail(
        uid=g.uid, code=_text(g.code), name=_text(g.name) or _text(g.code) or "—", name_en=_text(g.name_en),
        category_code=g.category.code if g.category else "",
        category_name=g.category.name if g.category else "",
        category_name_en=(g.category.name_en or "") if g.category else "",
        authority=_text(g.authority), legal_basis=_text(g.legal_basis), conditions=_text(g.conditions),
        materials=tuple(materials), steps=tuple(s.strip() for s in (g.steps or []) if _text(s)),
        special_steps=_text(g.special_steps), legal_time_limit=_text(g.legal_time_limit),
        promised_time_limit=_text(g.promised_time_limit),
        visits=g.visits if isinstance(g.visits, int) else None,
        fees=_text(g.fees), location=_text(g.location), hours=_text(g.hours), phone=_text(g.phone),
        complaint_phone=_text(g.complaint_phone), faqs=faqs,
        keywords=tuple(_text(k) for k in (g.keywords or []) if _text(k)),
        business_code=bt.code if bt else None, business_name=bt.name if bt else "",
        business_name_en=(bt.name_en or "") if bt else "", version=g.version or 1,
    )
