"""The hall's sync worker: pushes the outbox to the street office and pulls content back.

It runs on its own thread and never holds up the hall: every hall action has already committed
locally. A round is push (in batches, gzip when large) then pull (in pages, each applied in one
transaction together with the cursor). Failures back off exponentially with jitter; a local
change wakes the worker at once, and during a backoff it earns one early attempt (at most one
per `min_retry_s`), so a hall back online syncs with its next ticket instead of after the rest of
a 2-minute backoff. Anything the office refuses is kept in the outbox with the reason, never dropped.

sync/ never imports kiosk/: the hall injects `apply_content(session, kind, data, version)`
and `publish(topic, **data)` (its event bus).
"""

from __future__ import annotations

import gzip
import json
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

import requests
from pydantic import ValidationError
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from sync import follow_ups, hall_proposals, wire
from sync.cache.db import Cache
from sync.cache.models import Conflict, Outbox, SyncState
from sync.cache.recovery import REPORT_KEY

log = logging.getLogger(__name__)

ApplyContent = Callable[[Session, str, dict[str, Any], int], None]
Publish = Callable[..., None]

CURSOR_KEY = "office.cursor"
LAST_SUCCESS_KEY = "office.last_success"


class SyncError(Exception):
    """One round failed; the message says why (shown on the counter console)."""


class BrokenWait(Exception):
    """A waiting pull was cut short by something between hall and office."""


BROKEN_AFTER_S = 0.5  # a waiting request that fails sooner never got through: the office is down


@dataclass(frozen=True)
class SyncStatus:
    online: bool  # the last round reached the office and finished
    last_success: datetime | None
    waiting: int  # outbox entries not yet accepted by the office
    last_error: str
    conflicts: int = 0  # content conflicts waiting for a person
    rejected: int = 0  # outbox entries the office refused (kept, with the reason, for a person)
    skew_s: float | None = None  # office clock minus hall clock, from the last pull
    # How office changes reach the hall: "wait" (a request held open, answered at once), "poll"
    # (asked every interval), or "poll_fallback" (waiting was tried, something in between
    # breaks long requests: polling until it is tried again)
    mode: str = "poll"


@dataclass
class RoundResult:
    pushed: int = 0
    pulled: int = 0
    conflicts: int = 0
    rejected: int = 0
    proposed: int = 0  # edits of shared records sent for the office's review
    decided: int = 0  # proposals the office decided on since the last round
    requests: int = 0
    changed: list[tuple[str, str]] = field(default_factory=list)
    ratings: int = 0  # ratings pushed (the office may have opened follow-ups)


class SyncWorker:
    def __init__(
        self,
        cache: Cache,
        url: str,
        token: str,
        *,
        apply_content: ApplyContent,
        publish: Publish | None = None,
        interval_s: float = 15.0,
        timeout_s: float = 10.0,
        verify: bool | str = True,
        batch_size: int = 500,
        pull_limit: int = wire.DEFAULT_PULL_LIMIT,
        max_backoff_s: float = 120.0,
        min_retry_s: float = 5.0,
        http: requests.Session | None = None,
        wait_s: float = 0.0,
        retry_wait_after_s: float = 600.0,
        broken_waits_to_poll: int = 2,
    ):
        self.cache = cache
        self.url = url.rstrip("/")
        self.apply_content = apply_content
        self.publish = publish
        self.interval_s = interval_s
        self.timeout_s = timeout_s
        self.batch_size = max(1, min(batch_size, wire.MAX_ENTRIES))
        self.pull_limit = pull_limit
        self.max_backoff_s = max_backoff_s
        self.min_retry_s = min_retry_s  # while backing off, woken attempts come at most this often
        self.http = http or requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"
        self.http.headers["User-Agent"] = "yizhan-hall"
        self.http.verify = verify
        # Waiting for office changes: one pull held open (its own connection), see _wait_loop.
        self.wait_s = min(wait_s, wire.MAX_WAIT_S)
        self.retry_wait_after_s = retry_wait_after_s
        self.broken_waits_to_poll = max(1, broken_waits_to_poll)
        self.wait_http = requests.Session()
        self.wait_http.headers.update(self.http.headers)
        self.wait_http.verify = verify
        self.broken_waits = 0  # waits in a row that something cut short
        self._fallback_until = 0.0  # time.monotonic() until which the hall polls instead
        self._waiter: threading.Thread | None = None
        self._waiter_stop = threading.Event()
        self.requests_made = 0
        self.bytes_sent = 0
        self.bytes_received = 0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # one round at a time (thread, tests, "sync now" button)
        self._failures = 0
        self._attempted = 0.0  # time.monotonic() at the end of the worker thread's last round
        self._online = False
        self._last_error = ""
        self._skew: float | None = None
        self._last_success: datetime | None = None
        self._saved_success: datetime | None = None
        self.public_url = self.url  # base of QR links (the hall may set office.public_url)
        self.closers: list[Callable[[], None]] = []  # run after stop() (e.g. the embedded office)
        # A rebuilt cache, or a data directory without a number mark (new, or lost): ask the office
        # for this hall's highest ticket numbers of today once (follow_office_numbers).
        self.numbers_pending = cache.recovery is not None or not cache.numbers.found
        self.hall_tz: tzinfo | None = None  # the hall's zone, for its "today" (None: this PC's zone)
        # What the hall reports with its rounds (LED board, printer, voice; kiosk/lan/client.py):
        # a function returning a wire.HallState; the outbox counts are filled in here.
        self.hall_state: Callable[[], wire.HallState] | None = None
        self.state_every_s = 60.0  # at most this often when nothing else is pushed
        self._state_sent = -1e9  # time.monotonic() of the last report
        self.follow_ups_every_s = 300.0  # the head's 差评 follow-ups (sync/follow_ups.py)
        self.follow_ups_at = float("-inf")

    # --- running ---------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="sync-worker", daemon=True)
            self._thread.start()
            self.cache.write_listeners.append(self._local_write)
        if self.wait_s > 0 and self._waiter is None:
            self._waiter_stop = threading.Event()  # a waiter of an earlier start() ends on its own
            self._waiter = threading.Thread(target=self._wait_loop, args=(self._waiter_stop,),
                                            name="sync-waiter", daemon=True)
            self._waiter.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._waiter_stop.set()
        self._wake.set()
        if self._local_write in self.cache.write_listeners:
            self.cache.write_listeners.remove(self._local_write)
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        # The waiter may be held in a request for a while: it applies nothing once stopped (the
        # check is under the round lock, taken here once), and ends when its request does.
        with self._lock:
            self._waiter = None
        for close in self.closers:
            close()
        self.closers.clear()

    def wake(self, *_args: Any, **_kwargs: Any) -> None:
        """Something changed locally, or the network may be back: sync soon (usable directly as an
        event bus handler). During a backoff this brings one attempt forward (see _pause)."""
        self._wake.set()

    def _local_write(self) -> None:
        """Something committed in the hall's cache: an outbox entry goes out now. (The worker's
        own writes — cursor, accepted entries — need no round.)"""
        if threading.current_thread() not in (self._thread, self._waiter):
            self._wake.set()

    @property
    def waiting_mode(self) -> bool:
        """Office changes come through the waiter's held request (else: this thread polls)."""
        return self.wait_s > 0 and self._waiter is not None and time.monotonic() >= self._fallback_until

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()  # before the round: a wake-up during it means one more round
            try:
                waiting = self.waiting_mode
                self.sync_once(pull=not waiting)
                # Waiting: this thread only pushes, when woken by a local write (the interval is
                # a safety net); polling: it pulls every interval.
                delay = max(self.interval_s, 300.0) if waiting else self.interval_s
            except Exception as exc:  # noqa: BLE001 - a round may fail in any way; the next one retries
                if self.numbers_pending:
                    self._note_numbers(f"街道办不可达 the office could not be asked (numbering follows the "
                                       f"salvage and the backup until it can): {exc}")
                if not isinstance(exc, SyncError):
                    log.exception("sync round failed unexpectedly")
                delay = self.backoff_delay()
            self._attempted = time.monotonic()
            self._pause(delay)

    def _pause(self, delay: float) -> None:
        """Wait `delay` seconds or until woken. Backing off, a wake-up earns one early attempt,
        though not sooner than min_retry_s after the last one: a busy hall (a wake-up per ticket)
        must not hammer an office that is down. If that attempt fails, the backoff goes on, longer."""
        deadline = time.monotonic() + delay
        if not self._wake.wait(delay) or self._stop.is_set() or self._failures == 0:
            return
        self._stop.wait(max(0.0, min(deadline, self._attempted + self.min_retry_s) - time.monotonic()))

    def backoff_delay(self) -> float:
        """Exponential backoff with full jitter, capped: halls coming back together spread out."""
        ceiling = min(self.max_backoff_s, 2.0 * 2 ** min(self._failures, 10))
        return random.uniform(ceiling / 2, ceiling)

    # --- status ----------------------------------------------------------------------------

    def status(self) -> SyncStatus:
        # counts only: a read-only snapshot, so the consoles' status line never waits for (or
        # holds up) a counter action
        with self.cache.reading() as s:
            waiting = s.scalar(select(func.count()).select_from(Outbox).where(Outbox.done_at.is_(None))) or 0
            conflicts = s.scalar(select(func.count()).select_from(Conflict)
                                 .where(Conflict.resolved_at.is_(None))) or 0
            rejected = s.scalar(select(func.count()).select_from(Outbox).where(Outbox.result == "rejected")) or 0
            last = s.get(SyncState, LAST_SUCCESS_KEY) if self._last_success is None else None
        last_success = self._last_success
        if last is not None and last.value:
            last_success = datetime.fromisoformat(last.value)
        mode = "poll" if self.wait_s <= 0 else "wait" if self.waiting_mode or self._waiter is None else "poll_fallback"
        return SyncStatus(self._online, last_success, waiting, self._last_error, conflicts, rejected, self._skew,
                          mode)

    # --- after a recovery: the office's ticket numbers ----------------------------------------

    def follow_office_numbers(self, result: RoundResult | None = None) -> dict[str, int]:
        """Number after the highest ticket the office holds for this hall today: after a rebuild or
        the loss of the data directory, residents may hold numbers nothing local remembers."""
        day = datetime.now(self.hall_tz).date()
        response = self._request("GET", "/api/v1/tickets/high-water", result or RoundResult(), params={"day": day.isoformat()})
        if response.status_code == 404:  # an office from before this request: nothing to follow
            self.numbers_pending = False
            self._note_numbers("the office does not answer this (an older office version)")
            return {}
        try:
            if response.status_code != 200:
                raise SyncError(f"office error {response.status_code}: {self._problem(response)[0]}")
            reply = wire.HighWater.model_validate_json(response.content)
        except ValidationError:
            raise SyncError("街道办服务器回复无法识别 unreadable reply from the office (high-water)") from None
        if reply.day != day:
            raise SyncError(f"the office answered for {reply.day}, not {day}")
        if reply.numbers:
            self.cache.numbers.raise_floors({(day, p): n for p, n in reply.numbers.items()})
        self.numbers_pending = False
        shown = ", ".join(f"{p}{n:03d}" for p, n in sorted(reply.numbers.items())) or "none yet"
        log.info("the office's highest ticket numbers for %s: %s; numbering follows them", day, shown)
        self._note_numbers(f"asked {datetime.now(UTC):%Y-%m-%d %H:%M} UTC: highest for {day} {shown}; "
                           "numbering follows them")
        return reply.numbers

    def _note_numbers(self, text: str) -> None:
        """Keep what came of asking in the recovery report (`yizhan db check`, the consoles)."""
        try:
            report = self.cache.recovery_report()
            if report is None or report.office == text:
                return
            report.office = text
            with self.cache.transaction() as s:
                s.merge(SyncState(key=REPORT_KEY, value=report.to_json()))
        except Exception:  # noqa: BLE001 - a note must not stop the worker
            log.exception("could not note the office's ticket numbers in the recovery report")
            return
        if self.publish is not None:
            self.publish("sync.numbers", note=text)

    # --- one round -------------------------------------------------------------------------

    def sync_once(self, *, pull: bool = True) -> RoundResult:
        """Push everything waiting, then pull every page; raises SyncError on failure."""
        with self._lock:
            result = RoundResult()
            try:
                self._push_all(result)
                if self.hall_state is not None and time.monotonic() - self._state_sent >= self.state_every_s:
                    self._push_state(result)
                if self.numbers_pending:  # before the pull (many pages after a lost data directory)
                    self.follow_office_numbers(result)
                if pull:
                    self._pull_all(result)
                    self._follow_proposals(result)
                if follow_ups.due(self, result.ratings):
                    follow_ups.pull_follow_ups(self, result)
            except SyncError as exc:
                self._failed(exc)
                raise
            self._succeeded(result)
            return result

    def _failed(self, exc: SyncError) -> None:
        self._failures += 1
        self._online = False
        self._last_error = str(exc)
        log.warning("sync with the office failed (attempt %d): %s", self._failures, exc)

    def _succeeded(self, result: RoundResult) -> None:
        """(Under the round lock.)"""
        self._failures = 0
        self._online = True
        if len(result.changed) == result.pulled:  # else keep the "could not apply" message
            self._last_error = ""
        now = datetime.now(UTC)
        self._last_success = now
        # Kept on disk for the status after a restart; at most twice a minute (each write is an fsync).
        if self._saved_success is None or now - self._saved_success > timedelta(seconds=30):
            with self.cache.transaction() as s:
                s.merge(SyncState(key=LAST_SUCCESS_KEY, value=now.isoformat()))
            self._saved_success = now
        self._announce(result)

    def _announce(self, result: RoundResult) -> None:
        if self.publish is None:
            return
        for kind, uid in result.changed:
            self.publish("content.changed", kind=kind, uid=uid, source="office")
        if result.pushed or result.pulled:
            self.publish("sync.done", pushed=result.pushed, pulled=result.pulled)

    def _request(self, method: str, path: str, result: RoundResult, **kwargs: Any) -> requests.Response:
        result.requests += 1
        self.requests_made += 1
        try:
            # verify= per request: requests lets REQUESTS_CA_BUNDLE override the session's setting.
            response = self.http.request(method, self.url + path, timeout=self.timeout_s,
                                         verify=self.http.verify, **kwargs)
            body = response.content  # reads it all: a truncated body fails here
        except requests.RequestException as exc:
            raise SyncError(f"无法连接街道办服务器 cannot reach the office: {type(exc).__name__}: {exc}") from None
        self.bytes_sent += len(kwargs.get("data") or b"")
        self.bytes_received += len(body)
        return response

    @staticmethod
    def _problem(response: requests.Response) -> tuple[str, str | None]:
        try:
            detail = wire.ErrorReply.model_validate_json(response.content).detail
            return detail.message, detail.entry
        except ValidationError:
            return response.text[:200].strip() or response.reason or "", None

    # --- push ------------------------------------------------------------------------------

    def _push_all(self, result: RoundResult) -> None:
        batch_size = self.batch_size
        after_id = 0
        while True:
            with self.cache.sessions() as s:
                rows = s.scalars(select(Outbox).where(Outbox.done_at.is_(None), Outbox.id > after_id)
                                 .order_by(Outbox.id).limit(batch_size)).all()
            if not rows:
                return
            entries, bad = [], []
            for row in rows:
                try:
                    entries.append(_entry(row))
                except (ValidationError, ValueError) as exc:
                    bad.append((row.id, f"本地记录格式错误 malformed outbox entry: {_first_error(exc)}"))
            if bad:
                self._reject(bad, result)
            if not entries:
                continue
            reply = self._push(entries, result)
            if reply is None:  # the office refused one entry, now set aside: send the rest again
                continue
            if isinstance(reply, int):  # too large: halve the batch
                if batch_size == 1:
                    self._reject([(rows[0].id, "单条记录过大 entry too large for the office")], result)
                batch_size = max(1, batch_size // 2)
                continue
            self._record(rows, reply, result)
            after_id = rows[-1].id

    def _push(self, entries: list[dict[str, Any]], result: RoundResult) -> wire.PushReply | int | None:
        body = json.dumps({"wire": wire.WIRE_VERSION, "sent_at": datetime.now(UTC).isoformat(),
                           "entries": entries}, ensure_ascii=False, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json"}
        if len(body) > wire.GZIP_ABOVE_BYTES:
            body = gzip.compress(body, compresslevel=5)
            headers["Content-Encoding"] = "gzip"
        response = self._request("POST", "/api/v1/push", result, data=body, headers=headers)
        if response.status_code == 200:
            try:
                reply = wire.PushReply.model_validate_json(response.content)
            except ValidationError:
                raise SyncError("街道办服务器回复无法识别 unreadable reply from the office (push)") from None
            if [r.id for r in reply.results] != [e["id"] for e in entries]:
                raise SyncError("街道办服务器回复与发送内容不符 the office's reply does not match the batch")
            return reply
        message, entry = self._problem(response)
        if response.status_code == 413:
            return 413
        if 400 <= response.status_code < 500 and response.status_code not in (401, 408, 429) and entry:
            # One entry is to blame (cross-hall, reused id, invalid content): set it aside with the
            # office's reason so the rest can go; it stays in the outbox for a person to look at.
            row_uid = entries[int(entry[1:])]["id"] if entry.startswith("#") and entry[1:].isdigit() else entry
            with self.cache.sessions() as s:
                row_id = s.scalar(select(Outbox.id).where(Outbox.uid == row_uid))
            if row_id is not None:
                self._reject([(row_id, f"街道办拒收 refused by the office ({response.status_code}): {message}")],
                             result)
                return None
        if response.status_code == 401:
            raise SyncError(f"令牌无效或已吊销 the office refused this hall's token: {message}")
        raise SyncError(f"街道办服务器错误 office error {response.status_code}: {message}")

    def _push_state(self, result: RoundResult) -> None:
        """Report the hall's state in an empty push batch; a failure here never fails the round."""
        try:
            state = self.hall_state() if self.hall_state is not None else None
        except Exception as exc:  # a device that cannot say how it is must not stop the sync
            log.warning("hall state not reported: %s", exc)
            return
        if state is None:
            return
        st = self.status()
        state = state.model_copy(update={"outbox_waiting": st.waiting, "outbox_rejected": st.rejected})
        body = json.dumps({"wire": wire.WIRE_VERSION, "entries": [], "hall_state": state.model_dump(mode="json")},
                          ensure_ascii=False, separators=(",", ":")).encode()
        response = self._request("POST", "/api/v1/push", result, data=body,
                                 headers={"Content-Type": "application/json"})
        if response.status_code == 200:
            self._state_sent = time.monotonic()
        else:
            log.warning("hall state refused by the office (%s): %s", response.status_code, self._problem(response)[0])

    def _reject(self, rows: list[tuple[int, str]], result: RoundResult) -> None:
        now = datetime.now(UTC)
        with self.cache.transaction() as s:
            for row_id, reason in rows:
                row = s.get(Outbox, row_id)
                row.done_at, row.result, row.last_error = now, "rejected", reason[:2000]
                row.attempts += 1
                log.error("outbox entry %s set aside: %s", row.uid, reason)
        result.rejected += len(rows)

    def _record(self, rows: list[Outbox], reply: wire.PushReply, result: RoundResult) -> None:
        """Mark what the office accepted; turn each conflict into a Conflict row for the editor."""
        by_uid = {r.uid: r for r in rows}
        now = datetime.now(UTC)
        conflicts = []
        proposed: list[tuple[int, str, str]] = []
        by_status: dict[str, list[str]] = {}
        for r in reply.results:
            by_status.setdefault(r.status, []).append(r.id)
        with self.cache.transaction() as s:
            for status, uids in by_status.items():
                for i in range(0, len(uids), 500):  # SQLite's limit on bound parameters
                    s.execute(update(Outbox).where(Outbox.uid.in_(uids[i:i + 500])).values(
                        done_at=now, result=status, attempts=Outbox.attempts + 1, last_error=""))
            for r in reply.results:
                if r.status == "proposed" and r.proposal is not None:
                    # Shared with other halls: in force only once the office takes it; until then
                    # this hall shows the office's copy too.
                    p = by_uid[r.id].payload
                    hall_proposals.keep(s, p, r)
                    if r.office_data is not None and r.office_version is not None:
                        try:
                            with s.begin_nested():
                                self.apply_content(s, p["kind"], r.office_data, r.office_version)
                            result.changed.append((p["kind"], p["uid"]))
                        except Exception as exc:  # noqa: BLE001 - the proposal still counts; the hall's copy stays
                            log.error("could not go back to the office's %s %s v%d: %s", p["kind"], p["uid"],
                                      r.office_version, exc)
                    proposed.append((r.proposal, p["kind"], p["uid"]))
                elif r.status == "conflict":
                    p = by_uid[r.id].payload
                    c = Conflict(kind=p["kind"], record_uid=p["uid"], local_version=p["version"],
                                 local_data=p["data"], office_version=r.office_version or 0,
                                 office_data=r.office_data or {})
                    s.add(c)
                    s.flush()
                    conflicts.append((c.id, c.kind, c.record_uid))
        result.pushed += len(reply.results)
        result.ratings += sum(1 for r in rows if r.kind == "rating")
        result.conflicts += len(conflicts)
        result.proposed += len(proposed)
        if self.publish is not None:
            for conflict_id, kind, uid in conflicts:
                self.publish("content.conflict", conflict_id=conflict_id, kind=kind, uid=uid)
            for proposal_id, kind, uid in proposed:
                self.publish("content.proposal", proposal=proposal_id, kind=kind, uid=uid, state="pending")

    # --- proposals ---

    def _follow_proposals(self, result: RoundResult) -> None:
        """Ask where this hall's pending proposals stand (no request when there are none)."""
        with self.cache.sessions() as s:
            ids = hall_proposals.pending_ids(s)
        if not ids:
            return
        response = self._request("GET", "/api/v1/proposals", result, params={"ids": ",".join(map(str, ids))})
        if response.status_code == 404:  # an office from before proposals
            return
        if response.status_code != 200:
            raise SyncError(f"街道办服务器错误 office error {response.status_code}: {self._problem(response)[0]}")
        try:
            states = wire.ProposalStates.model_validate_json(response.content)
        except ValidationError:
            raise SyncError("街道办服务器回复无法识别 unreadable reply from the office (proposals)") from None
        with self.cache.transaction() as s:
            changed = [(p.office_id, p.kind, p.record_uid, p.state)
                       for p in hall_proposals.take_states(s, states.proposals)]
        result.decided += len(changed)
        if self.publish is not None:
            for proposal_id, kind, uid, state in changed:
                self.publish("content.proposal", proposal=proposal_id, kind=kind, uid=uid, state=state)

    # --- pull ---

    def _apply_page(self, s: Session, page: wire.PullPage) -> list[tuple[str, str]]:
        """Apply a page in the caller's transaction; a record the hall refuses is logged and skipped."""
        try:
            with s.begin_nested():  # the usual case: everything applies, one savepoint for the page
                for change in page.changes:
                    self.apply_content(s, change.kind, change.data, change.version)
            return [(c.kind, c.uid) for c in page.changes]
        except Exception:  # noqa: BLE001 - find the culprit record by record below
            pass
        applied = []
        for change in page.changes:
            try:
                with s.begin_nested():
                    self.apply_content(s, change.kind, change.data, change.version)
                applied.append((change.kind, change.uid))
            except Exception as exc:  # noqa: BLE001 - the hall's own checks refused it
                self._last_error = f"无法采用街道办的{change.kind} {change.uid} v{change.version}: {exc}"
                log.error("could not apply office %s %s v%d: %s", change.kind, change.uid, change.version, exc)
        return applied

    # --- pull (pages) ---------------------------------------------------------------------

    def _cursor(self) -> str:
        with self.cache.sessions() as s:
            state = s.get(SyncState, CURSOR_KEY)
            return state.value if state is not None else ""

    def _pull_all(self, result: RoundResult, max_pages: int = 50) -> None:
        for _ in range(max_pages):
            cursor = self._cursor()
            response = self._request("GET", "/api/v1/pull", result,
                                     params={"cursor": cursor, "limit": self.pull_limit})
            page = self._read_page(response)
            if not self._take_page(page, cursor, result) or not page.more:
                return

    def _read_page(self, response: requests.Response) -> wire.PullPage:
        if response.status_code != 200:
            message, _ = self._problem(response)
            if response.status_code == 400 and "cursor" in message:
                # The office lost or reset its feed: start over (records carry versions, so
                # re-applying is harmless).
                with self.cache.transaction() as s:
                    s.merge(SyncState(key=CURSOR_KEY, value=""))
            raise SyncError(f"街道办服务器错误 office error {response.status_code}: {message}")
        try:
            page = wire.PullPage.model_validate_json(response.content)
        except ValidationError:
            raise SyncError("街道办服务器回复无法识别 unreadable reply from the office (pull)") from None
        self._skew = (page.office_time - datetime.now(UTC)).total_seconds()
        return page

    def _take_page(self, page: wire.PullPage, cursor: str, result: RoundResult) -> bool:
        """Apply a page asked for after `cursor`, with the new cursor in one transaction; False
        if there was nothing new (no write, no fsync)."""
        if not page.changes and page.cursor == cursor:
            return False
        with self.cache.transaction() as s:
            applied = self._apply_page(s, page)
            s.merge(SyncState(key=CURSOR_KEY, value=page.cursor))
        result.pulled += len(page.changes)
        result.changed += applied
        return True

    # --- waiting for office changes ---------------------------------------------------------

    def _wait_loop(self, stop: threading.Event) -> None:
        """Hold one pull open at the office (`wait_s`); it answers when this hall's feed has
        something. A request that something in between cuts short (a proxy with a shorter
        timeout) counts as broken; after `broken_waits_to_poll` of them in a row the hall polls
        instead (the status says so) and tries waiting again after `retry_wait_after_s`."""
        failures = 0
        while not stop.is_set():
            now = time.monotonic()
            if now < self._fallback_until:
                stop.wait(self._fallback_until - now)
                continue
            try:
                self._wait_once(stop)
                failures = 0
            except BrokenWait as exc:
                self.broken_waits += 1
                if self.broken_waits >= self.broken_waits_to_poll:
                    self._fallback_until = time.monotonic() + self.retry_wait_after_s
                    # One more cut once waiting is tried again goes straight back to polling.
                    self.broken_waits = self.broken_waits_to_poll - 1
                    log.warning("the office's answers to waiting requests are cut short (%s); polling every "
                                "%.0f s, trying to wait again in %.0f s", exc, self.interval_s,
                                self.retry_wait_after_s)
                    self._wake.set()  # the worker thread polls from now on
                else:
                    log.info("a waiting request was cut short (%s); asking again", exc)
                    self._wake.set()  # meanwhile a normal round (push) runs
                    try:
                        self._pull_now(stop)  # nothing missed while unsure
                    except SyncError:
                        pass
            except SyncError as exc:
                failures += 1
                with self._lock:
                    if not stop.is_set():
                        self._failed(exc)
                ceiling = min(self.max_backoff_s, 2.0 * 2 ** min(failures, 10))
                stop.wait(random.uniform(ceiling / 2, ceiling))
            except Exception:  # noqa: BLE001 - a bug must not end the waiting for good
                log.exception("waiting for office changes failed unexpectedly")
                failures += 1
                stop.wait(min(self.max_backoff_s, 5.0 * failures))

    def _pull_now(self, stop: threading.Event) -> None:
        with self._lock:
            if not stop.is_set():
                result = RoundResult()
                self._pull_all(result)
                self._succeeded(result)

    def _wait_once(self, stop: threading.Event) -> None:
        cursor = self._cursor()
        wait = round(self.wait_s * random.uniform(0.8, 1.0), 1)  # halls renew spread out
        result = RoundResult(requests=1)
        self.requests_made += 1
        started = time.monotonic()
        try:
            response = self.wait_http.get(self.url + "/api/v1/pull", verify=self.wait_http.verify,
                                          params={"cursor": cursor, "limit": self.pull_limit, "wait_s": wait},
                                          timeout=(self.timeout_s, wait + self.timeout_s))
            body = response.content
        except requests.RequestException as exc:
            held = time.monotonic() - started
            if held >= BROKEN_AFTER_S and not isinstance(exc, requests.exceptions.ConnectTimeout):
                raise BrokenWait(f"held {held:.1f} s of {wait:.0f} s, then {type(exc).__name__}") from None
            raise SyncError(f"无法连接街道办服务器 cannot reach the office: {type(exc).__name__}: {exc}") from None
        held = time.monotonic() - started
        self.bytes_received += len(body)
        if response.status_code in (408, 502, 503, 504) and held >= BROKEN_AFTER_S:
            raise BrokenWait(f"held {held:.1f} s of {wait:.0f} s, then HTTP {response.status_code}")
        page = self._read_page(response)
        if "x-yizhan-waited" not in response.headers:
            raise BrokenWait("the answer did not wait (an older office, or a proxy answering for it)")
        if not page.changes and held < wait / 2:
            raise BrokenWait(f"an empty answer after {held:.1f} s of {wait:.0f} s")
        self.broken_waits = 0
        with self._lock:
            if stop.is_set():
                return
            if self._cursor() == cursor:  # else a round pulled meanwhile: this page is old news
                self._take_page(page, cursor, result)
            self._succeeded(result)
        if page.more:
            self._pull_now(stop)


def _entry(row: Outbox) -> dict[str, Any]:
    """An outbox row as a wire entry (checked here so one bad row cannot block a batch)."""
    entry = {"id": row.uid, "seq": row.id, "kind": row.kind, "payload": row.payload}
    model = {"ticket_event": wire.TicketEventEntry, "content": wire.ContentEntry,
             "rating": wire.RatingEntry}.get(row.kind)
    if model is None:
        raise ValueError(f"kind: unknown outbox kind {row.kind!r} (ticket_event, content or rating)")
    model.model_validate(entry)  # raises if malformed; the row is sent as stored
    return entry


def _first_error(exc: Exception) -> str:
    if not isinstance(exc, ValidationError):
        return str(exc)
    err = exc.errors()[0]
    return f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"


def sync_worker_for(cache: Cache, office: Any, *, url: str, token: str, apply_content: ApplyContent,
                    publish: Publish | None = None) -> SyncWorker:
    """A worker from a hall config's [office] section (kiosk.config.OfficeSection)."""
    verify: bool | str = str(office.ca_file) if office.ca_file else office.verify_tls
    return SyncWorker(cache, url, token, apply_content=apply_content, publish=publish,
                      interval_s=office.sync_interval_s, timeout_s=office.timeout_s, verify=verify,
                      wait_s=getattr(office, "wait_s", 0.0))


def wait_until(check: Callable[[], bool], timeout_s: float, step_s: float = 0.05) -> bool:
    """Poll `check` until it is true or time runs out (tests and the embedded start-up)."""
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(step_s)
    return check()
