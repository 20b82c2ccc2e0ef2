"""Staff login: scrypt PIN hashes, lockout after repeated failures, roles, audit without PINs."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from kiosk.services.auth import (
    AuthError,
    AuthService,
    PermissionDenied,
    StaffSession,
    hash_pin,
    verify_pin,
)
from sync.cache.models import AuditLog, Staff, utcnow


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def auth(cache, clock):
    service = AuthService(cache, max_failures=5, lockout_minutes=10, clock=clock)
    service.add_staff("王芳", "editor", "2468")
    service.add_staff("李站长", "head", "13579")
    service.add_staff("张敏", "clerk", "1111")
    return service


def audit_rows(cache, action=None):
    with cache.sessions() as s:
        q = select(AuditLog).order_by(AuditLog.id)
        if action:
            q = q.where(AuditLog.action == action)
        return list(s.scalars(q))


def test_hash_is_salted_scrypt_and_verifies():
    a, b = hash_pin("2468"), hash_pin("2468")
    assert a != b  # a fresh salt each time
    assert a.startswith("scrypt$16384$8$1$")
    assert verify_pin("2468", a) and verify_pin("2468", b)
    assert not verify_pin("2469", a)
    assert not verify_pin("2468", "plain-2468")
    assert not verify_pin("2468", "scrypt$x$8$1$00$00")


def test_login_returns_session_with_role_permissions(auth, cache):
    session = auth.login("王芳", "2468")
    assert session == StaffSession(session.staff_id, "王芳", "editor")
    assert session.can("content") and session.can("counter") and not session.can("admin")
    clerk = auth.login("张敏", "1111")
    assert clerk.can("counter") and not clerk.can("content")
    with pytest.raises(PermissionDenied, match="无权"):
        clerk.require("content")
    head = auth.login("李站长", "13579")
    assert all(head.can(p) for p in ("counter", "content", "admin"))
    assert [r.target for r in audit_rows(cache, "login")] == ["王芳", "张敏", "李站长"]


def test_login_errors_carry_a_code_and_parameters_for_the_screen(auth, clock):
    """One language per message: the UI turns code + parameters into the screen's language."""
    with pytest.raises(AuthError) as wrong:
        auth.login("王芳", "0000")
    assert (wrong.value.code, wrong.value.params) == ("wrong_pin", {"tries_left": 4})
    assert "tries" not in str(wrong.value)
    with pytest.raises(AuthError) as unknown:
        auth.login("没有这个人", "0000")
    assert unknown.value.code == "unknown_account"
    for _ in range(4):
        with pytest.raises(AuthError) as last:
            auth.login("王芳", "0000")
    assert (last.value.code, last.value.params) == ("locked_now", {"minutes": 10})


def test_wrong_pin_counts_down_then_locks(auth, cache, clock):
    for left in (4, 3, 2, 1):
        with pytest.raises(AuthError, match=f"还可尝试 {left} 次"):
            auth.login("王芳", "0000")
    with pytest.raises(AuthError, match="已锁定 10 分钟"):
        auth.login("王芳", "0000")
    # Locked: even the right PIN is refused until the time is up.
    with pytest.raises(AuthError, match="账户已锁定"):
        auth.login("王芳", "2468")
    clock.now += timedelta(minutes=9)
    with pytest.raises(AuthError, match="账户已锁定，请在 1 分钟后再试"):
        auth.login("王芳", "2468")
    clock.now += timedelta(minutes=2)
    assert auth.login("王芳", "2468").name == "王芳"
    failed = audit_rows(cache, "login_failed")
    assert len(failed) == 7
    assert failed[4].detail == {"reason": "wrong_pin", "locked_minutes": 10}
    assert failed[5].detail == {"reason": "locked"}
    with cache.sessions() as s:
        staff = s.scalar(select(Staff).where(Staff.name == "王芳"))
        assert staff.failed_attempts == 0 and staff.locked_until is None


def test_success_resets_the_failure_count(auth):
    for _ in range(4):
        with pytest.raises(AuthError):
            auth.login("王芳", "9999")
    auth.login("王芳", "2468")
    for _ in range(4):  # four more are allowed again
        with pytest.raises(AuthError, match="还可尝试"):
            auth.login("王芳", "9999")


def test_reset_pin_lifts_lockout(auth, cache):
    for _ in range(5):
        with pytest.raises(AuthError):
            auth.login("王芳", "0000")
    auth.reset_pin("王芳", "8642", actor="李站长")
    assert auth.login("王芳", "8642").role == "editor"
    with pytest.raises(AuthError):
        auth.login("王芳", "2468")
    assert [(r.actor, r.target) for r in audit_rows(cache, "staff_reset_pin")] == [("李站长", "王芳")]


def test_unknown_and_inactive_accounts(auth):
    with pytest.raises(AuthError, match="没有这个工作人员"):
        auth.login("无名氏", "2468")
    auth.set_active("张敏", False)
    with pytest.raises(AuthError, match="停用"):
        auth.login("张敏", "1111")
    assert auth.staff_names() == sorted(["王芳", "李站长"])
    assert auth.staff_names("content") == sorted(["王芳", "李站长"])
    assert auth.staff_names("admin") == ["李站长"]


def test_account_input_is_checked(auth):
    with pytest.raises(AuthError, match="4–8位数字"):
        auth.add_staff("赵六", "editor", "12")
    with pytest.raises(AuthError, match="4–8位数字"):
        auth.add_staff("赵六", "editor", "abcd")
    with pytest.raises(AuthError, match="角色"):
        auth.add_staff("赵六", "boss", "1234")
    with pytest.raises(AuthError, match="已有"):
        auth.add_staff("王芳", "editor", "1234")


def test_pins_never_reach_logs_or_audit(auth, cache, caplog):
    caplog.set_level(logging.DEBUG)
    auth.add_staff("周八", "editor", "73915")
    auth.login("周八", "73915")
    with pytest.raises(AuthError):
        auth.login("周八", "48260")
    auth.reset_pin("周八", "51739")
    assert not any(p in caplog.text for p in ("73915", "48260", "51739"))
    dumped = repr([(r.actor, r.action, r.target, r.detail) for r in audit_rows(cache)])
    assert not any(p in dumped for p in ("73915", "48260", "51739"))
    with cache.sessions() as s:
        stored = s.scalar(select(Staff.pin_hash).where(Staff.name == "周八"))
    assert "51739" not in stored and verify_pin("51739", stored)
