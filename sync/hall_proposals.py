"""The hall's side of proposals: an edit of a record the office shares with other halls is
answered "proposed" by the office. The hall keeps it (with the office's id), goes back to the
office's copy (the edit is not in force until the office takes it), and asks for its state
in later rounds until someone at the office decides. Plain Python, no Qt; sync/ only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync import wire
from sync.cache.models import Proposal

STATE_WORDS = {"pending": "已提交审核", "accepted": "已采纳", "merged": "已部分采纳", "rejected": "已驳回"}


def keep(session: Session, payload: dict[str, Any], result: wire.PushResult) -> Proposal:
    """Remember a proposal the office took in (once: a retried push answers the same id)."""
    existing = session.scalar(select(Proposal).where(Proposal.office_id == result.proposal))
    if existing is not None:
        return existing
    proposal = Proposal(office_id=result.proposal, kind=payload["kind"], record_uid=payload["uid"],
                        data=payload["data"], author=payload.get("author", ""), state="pending",
                        decided_by="", note="")
    session.add(proposal)
    session.flush()
    return proposal


def pending_ids(session: Session) -> list[int]:
    return list(session.scalars(select(Proposal.office_id).where(Proposal.state == "pending")
                                .order_by(Proposal.office_id).limit(200)))


def take_states(session: Session, states: Sequence[wire.ProposalState]) -> list[Proposal]:
    """Record the office's decisions; returns the proposals whose state changed."""
    by_id = {p.office_id: p for p in session.scalars(select(Proposal).where(
        Proposal.office_id.in_([s.id for s in states])))} if states else {}
    changed = []
    for st in states:
        p = by_id.get(st.id)
        if p is None or p.state == st.state:
            continue
        p.state, p.decided_at, p.decided_by = st.state, st.decided_at, st.decided_by
        p.note, p.result_version = st.note, st.result_version
        changed.append(p)
    return changed


def latest_for(session: Session, kind: str, uid: str) -> Proposal | None:
    """The newest proposal for one record (what the editor shows next to it)."""
    return session.scalar(select(Proposal).where(Proposal.kind == kind, Proposal.record_uid == uid)
                          .order_by(Proposal.id.desc()).limit(1))


def describe(proposal: Proposal) -> str:
    """One line for the editor: 已提交审核 / 已采纳 / 已驳回：note."""
    word = STATE_WORDS.get(proposal.state, proposal.state)
    if proposal.state == "pending":
        return f"{word}：本条为多个社区共用，你的修改已交街道办审核，通过前仍显示原内容"
    who = f"（{proposal.decided_by}）" if proposal.decided_by else ""
    note = f"：{proposal.note}" if proposal.note else ""
    return f"街道办{word}{who}{note}"
