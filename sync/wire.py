"""The sync message schema shared by the hall (sync/client.py) and the office (sync/office).

Versioned: every message carries `wire`; an office refuses a version it does not speak with a
clear 400 instead of guessing. All times are aware UTC; the office never orders anything by
the hall's clock (halls' clocks drift), only by the hall's own outbox sequence (`seq`).

Endpoints (JSON bodies; a request body may be gzip-compressed with Content-Encoding: gzip):

    POST /api/v1/push    PushBatch  -> PushReply     (hall token)
    GET  /api/v1/pull?cursor=C&limit=N -> PullPage   (hall token)
         &wait_s=S: if nothing is new, the office holds the request until something is (or
         S seconds pass: an empty page); the answer carries the header X-Yizhan-Waited
    GET  /api/v1/tickets/high-water?day=D -> HighWater (hall token)
    GET  /api/v1/proposals?ids=1,2 -> ProposalStates  (hall token; its own proposals only)
"""

from __future__ import annotations

import unicodedata
import uuid
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StrictBool, StrictInt

WIRE_VERSION = 1

# Limits both ends agree on. The office answers 413 above them; the client stays below.
MAX_BODY_BYTES = 8 * 1024 * 1024  # a push body after gzip decompression
MAX_COMPRESSED_BYTES = 2 * 1024 * 1024  # a push body as sent
MAX_ENTRIES = 1000  # entries in one push batch
MAX_RECORD_BYTES = 256 * 1024  # one content record's JSON
MAX_PULL_LIMIT = 1000
DEFAULT_PULL_LIMIT = 500
GZIP_ABOVE_BYTES = 4 * 1024  # the client compresses bodies larger than this
MAX_WAIT_S = 300  # the longest a pull may wait for a change (wait_s)

CONTENT_KINDS = ("guide", "category", "business_type", "window", "notice", "disclosure")
ContentKind = Literal["guide", "category", "business_type", "window", "notice", "disclosure"]
# The queue owns the vocabulary (waiting, called, served, ...; issued, called, skipped, ...);
# the wire only insists on a short lowercase word.
Word = Annotated[str, Field(min_length=1, max_length=20, pattern=r"^[a-z_]+$")]


def _check_uuid(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except (ValueError, AttributeError, TypeError):
        raise ValueError(f"not a UUID: {value!r}") from None


Uid = Annotated[str, Field(min_length=32, max_length=36, json_schema_extra={"format": "uuid"}),
                AfterValidator(_check_uuid)]
# The office's pull cursor: "v1.<txid>.<feed id>", or empty for the start.
CURSOR_PATTERN = r"^(v1\.[0-9]{1,19}\.[0-9]{1,19})?$"
Code = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]


class Message(BaseModel):
    # Unknown fields are refused: a typo or a newer client must not be half-understood.
    model_config = ConfigDict(extra="forbid")


# --- push ------------------------------------------------------------------------------------


class TicketData(Message):
    """The ticket as it stands after the event (the hall's current copy)."""

    uid: Uid
    label: Annotated[str, Field(min_length=1, max_length=10)]
    prefix: Annotated[str, Field(min_length=1, max_length=2, pattern=r"^[A-Z]{1,2}$")]
    number: int = Field(ge=0, le=99999)
    service_day: date
    business_code: Code
    priority: bool = False
    state: Word
    window_number: int | None = Field(None, ge=0, le=999)
    issued_at: AwareDatetime
    called_at: AwareDatetime | None = None
    finished_at: AwareDatetime | None = None


class EventData(Message):
    uid: Uid
    kind: Word
    at: AwareDatetime
    window_number: int | None = Field(None, ge=0, le=999)
    business_code: Code | None = None
    detail: dict[str, Any] = Field(default_factory=dict)
    # The staff name at the window (the console's per-clerk statistics); an office older than
    # this field refuses it, so the office is upgraded before its halls.
    clerk: Annotated[str, Field(min_length=1, max_length=50), AfterValidator(_printable)] | None = None


class TicketEventPayload(Message):
    ticket: TicketData
    event: EventData


class ContentEditPayload(Message):
    """A content record published in the hall: `base_version` is the version it started from."""

    kind: ContentKind
    uid: Uid
    base_version: int = Field(ge=0, le=1_000_000)  # 0 = a record new in this hall
    version: int = Field(ge=1, le=1_000_001)
    data: dict[str, Any]
    author: Annotated[str, Field(max_length=100)] = ""


class TicketEventEntry(Message):
    id: Uid  # the outbox entry's own id: applied once however often it is sent
    seq: int = Field(ge=0, le=2**63 - 1)  # the hall's outbox order; orders a ticket's snapshots (not the clock)
    kind: Literal["ticket_event"]
    payload: TicketEventPayload


class ContentEntry(Message):
    id: Uid
    seq: int = Field(ge=0, le=2**63 - 1)  # (a 64-bit column at the office)
    kind: Literal["content"]
    payload: ContentEditPayload


# --- ratings (好差评) ---------------------------------------------------------------------------

# The national five levels, best first; the wire carries the codes, screens show the names.
RATING_LEVELS = {
    "very_satisfied": "非常满意", "satisfied": "满意", "basic": "基本满意",
    "dissatisfied": "不满意", "very_dissatisfied": "非常不满意",
}
# 差评: these open a follow-up (回访) at the office
BAD_LEVELS = ("dissatisfied", "very_dissatisfied")
# 满意率 counts these as satisfied
GOOD_LEVELS = ("very_satisfied", "satisfied", "basic")
RATING_REASONS = {
    "long_wait": "等待时间长", "attitude": "态度不好", "unclear_materials": "材料要求不清楚",
    "not_done": "没有办成", "other": "其他",
}
RatingLevel = Literal["very_satisfied", "satisfied", "basic", "dissatisfied", "very_dissatisfied"]
RatingReason = Literal["long_wait", "attitude", "unclear_materials", "not_done", "other"]
MAX_COMMENT_CHARS = 200
RatingComment = Annotated[str, Field(max_length=MAX_COMMENT_CHARS)]


def _distinct(values: list[str]) -> list[str]:
    if len(set(values)) != len(values):
        raise ValueError("a reason is given twice")
    return values


RatingReasons = Annotated[list[RatingReason], Field(max_length=len(RATING_REASONS)), AfterValidator(_distinct)]


class RatingPayload(Message):
    """One resident's rating of one finished ticket; no personal data (the clerk is staff)."""

    ticket_uid: Uid
    level: RatingLevel
    reasons: RatingReasons = Field(default_factory=list)
    comment: RatingComment = ""
    source: Literal["counter", "phone"] = "counter"
    rated_at: AwareDatetime
    window_number: int | None = Field(None, ge=0, le=999)
    business_code: Code | None = None
    clerk: Annotated[str, Field(max_length=50)] = ""  # the staff account that finished the ticket


class RatingEntry(Message):
    id: Uid
    seq: int = Field(ge=0, le=2**63 - 1)
    kind: Literal["rating"]
    payload: RatingPayload


FOLLOW_UP_STATES = {"open": "待回访", "visited": "已回访", "rectified": "已整改"}
FollowUpState = Literal["open", "visited", "rectified"]


class FollowUpInfo(Message):
    """A 差评 follow-up as the office keeps it (admin API; the hall's open ones for its head)."""

    id: int
    ticket_uid: str
    hall: str
    label: str
    service_day: date | None
    window_number: int | None
    clerk: str
    business_code: str | None
    level: RatingLevel
    reasons: list[RatingReason]
    comment: str
    source: str
    rated_at: AwareDatetime
    state: FollowUpState
    due_on: date
    overdue: bool
    visited_at: AwareDatetime | None = None
    visited_by: str = ""
    visit_note: str = ""
    rectified_at: AwareDatetime | None = None
    rectified_by: str = ""
    rectify_note: str = ""


class FollowUpList(Message):
    """GET /api/v1/follow-ups (hall token): this hall's follow-ups not yet 已整改."""

    wire: Literal[1] = WIRE_VERSION
    follow_ups: list[FollowUpInfo]


PushEntry = Annotated[TicketEventEntry | ContentEntry | RatingEntry, Field(discriminator="kind")]


def _printable(value: str) -> str:
    # No control or bidi characters: the console shows this text as the hall sent it.
    bad = [ch for ch in value if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp")]
    if bad:
        raise ValueError(f"control or format character U+{ord(bad[0]):04X} in {value[:40]!r}")
    return value


ShortText = Annotated[str, Field(max_length=200), AfterValidator(_printable)]


class DeviceState(Message):
    """One device as the counter console's status line shows it: fine or not, and its words."""

    ok: StrictBool
    text: ShortText = ""


class HallState(Message):
    """What a hall reports with its sync round, for the office console's halls page.

    Strict types: a bool is not taken for a number, nor a number for a bool.
    """

    app_version: Annotated[str, Field(max_length=40, pattern=r"^[0-9A-Za-z.+_-]*$")] = ""
    outbox_waiting: StrictInt = Field(0, ge=0, le=100_000_000)  # entries not yet accepted by the office
    outbox_rejected: StrictInt = Field(0, ge=0, le=100_000_000)  # set aside for a person
    board: DeviceState | None = None  # LED board
    printer: DeviceState | None = None  # ticket printer (paper low/out, cover open -> ok false)
    voice: DeviceState | None = None  # calling voice
    at: AwareDatetime | None = None  # the hall's clock when it took the state


class PushBatch(Message):
    wire: Literal[1] = WIRE_VERSION
    hall: Annotated[str, Field(max_length=40)] | None = None  # the sender's hall code, checked if given
    sent_at: AwareDatetime | None = None  # the hall's clock, for logs only
    entries: list[PushEntry] = Field(max_length=MAX_ENTRIES)
    hall_state: HallState | None = None  # optional; the office keeps the latest per hall


class PushResult(Message):
    id: str
    # proposed: an edit of a record the office shares with other halls, kept for office review
    status: Literal["stored", "duplicate", "conflict", "proposed"]
    # For a conflict or a proposal: the office's current copy, so the editor can show both.
    office_version: int | None = None
    office_data: dict[str, Any] | None = None
    proposal: int | None = None  # the proposal's id at the office (status "proposed")


class PushReply(Message):
    wire: Literal[1] = WIRE_VERSION
    results: list[PushResult]


# --- pull ------------------------------------------------------------------------------------


class Change(Message):
    """One content record published to the hall, at its current office version."""

    kind: ContentKind
    uid: str
    version: int
    data: dict[str, Any]


class PullPage(Message):
    wire: Literal[1] = WIRE_VERSION
    changes: list[Change]
    cursor: str = Field(json_schema_extra={"format": "cursor", "pattern": CURSOR_PATTERN})  # opaque; give it back
    more: bool  # another page is ready now
    office_time: AwareDatetime  # the office's clock (lets the hall show its own skew)


class ErrorDetail(Message):
    """The body of every 4xx: what is wrong, and which entry if one entry is to blame."""

    message: str
    entry: str | None = None


class ErrorReply(Message):
    detail: ErrorDetail


class HallInfo(Message):
    """GET /api/v1/hello: who the token belongs to (the hall checks it is talking to the right office)."""

    wire: Literal[1] = WIRE_VERSION
    hall: str
    name: str
    public_url: str


class HighWater(Message):
    """GET /api/v1/tickets/high-water: the highest ticket number per prefix the office holds for
    this hall on `day` (the hall's local date). A hall that lost its cache numbers after these."""

    wire: Literal[1] = WIRE_VERSION
    hall: str
    day: date
    numbers: dict[Annotated[str, Field(pattern=r"^[A-Z]{1,2}$")], Annotated[int, Field(ge=0, le=99999)]]


# --- proposals -------------------------------------------------------------------------------

ProposalStateWord = Literal["pending", "accepted", "merged", "rejected"]


class ProposalState(Message):
    """Where a hall's proposal stands (GET /api/v1/proposals?ids=1,2 with the hall's token)."""

    id: int
    kind: ContentKind
    uid: Uid
    state: ProposalStateWord
    decided_at: AwareDatetime | None = None
    decided_by: Annotated[str, Field(max_length=100)] = ""
    note: Annotated[str, Field(max_length=500)] = ""
    result_version: int | None = None  # the office version that took it in (accepted, merged)


class ProposalStates(Message):
    wire: Literal[1] = WIRE_VERSION
    proposals: list[ProposalState]
