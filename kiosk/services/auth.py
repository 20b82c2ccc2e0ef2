"""Staff accounts: PIN hashing, login with lockout, roles and their permissions.

PINs are only ever kept as salted scrypt hashes and never written to a log or the audit
trail. Five wrong PINs in a row lock the account for a configurable time; every login and
failed login is audited so the station head can see who tried what.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.errors import HallError
from sync.cache.models import AuditLog, Staff, utcnow
from sync.checks import check_name
from sync.passwords import SCRYPT_N, SCRYPT_P, SCRYPT_R, hash_secret, verify_secret  # noqa: F401

log = logging.getLogger(__name__)

ROLES = ("clerk", "editor", "head")
ROLE_NAMES = {"clerk": "窗口人员", "editor": "内容编辑", "head": "站长"}

# permission -> roles that have it
PERMISSIONS = {
    "counter": {"clerk", "editor", "head"},  # call tickets at a window
    "content": {"editor", "head"},  # guides, categories, notices
    "admin": {"head"},  # staff accounts, business types, windows
}

PIN_RE = re.compile(r"[0-9]{4,8}")


def hash_pin(pin: str) -> str:
    """A salted scrypt hash (sync/passwords.py; the office's console accounts use the same)."""
    return hash_secret(pin)


def verify_pin(pin: str, stored: str) -> bool:
    """True if `pin` matches the stored hash; False for any malformed stored value."""
    return verify_secret(pin, stored)


# Compared against when the name is unknown, so a wrong name costs the same time as a wrong PIN.
_DUMMY_HASH = hash_pin("000000")


def check_pin_format(pin: str) -> str:
    """Return the PIN if it is 4–8 digits, else raise AuthError with the reason."""
    if not PIN_RE.fullmatch(pin):
        raise AuthError("PIN 应为4–8位数字 (PIN must be 4–8 digits)")
    return pin


def check_role(role: str) -> str:
    if role not in ROLES:
        raise AuthError(f"角色应为 {' / '.join(ROLES)} 之一 (unknown role {role!r})")
    return role


class AuthError(HallError):
    """Login or account problem; str() is a Chinese message fit for the screen. `code` and
    `params` say the same for a screen in another language (kiosk/ui/error_text.py)."""


class PermissionDenied(AuthError):
    """The signed-in person's role does not allow this."""


@dataclass(frozen=True)
class StaffSession:
    staff_id: int
    name: str
    role: str  # clerk | editor | head

    def can(self, permission: str) -> bool:
        return self.role in PERMISSIONS.get(permission, set())

    def require(self, permission: str) -> None:
        """Raise PermissionDenied unless the role has `permission`."""
        if not self.can(permission):
            needed = "、".join(ROLE_NAMES[r] for r in ROLES if r in PERMISSIONS.get(permission, set()))
            raise PermissionDenied(f"{ROLE_NAMES.get(self.role, self.role)}{self.name}无权进行此操作，"
                                   f"需要{needed or '更高权限'} (role {self.role} lacks {permission!r})")


@dataclass(frozen=True)
class StaffInfo:
    name: str
    role: str
    active: bool
    locked_until: datetime | None
    failed_attempts: int
    number: int = 0  # 工号: what staff type at the kiosk's staff exit


def audit(session: Session, actor: str, action: str, target: str = "", **detail: object) -> None:
    """Add one audit row to the caller's transaction (never a PIN: callers pass facts only)."""
    session.add(AuditLog(actor=actor, action=action, target=target, detail=dict(detail)))


class AuthService:
    def __init__(self, cache, *, max_failures: int = 5, lockout_minutes: int = 15,
                 clock: Callable[[], datetime] = utcnow):
        self.cache = cache
        self.max_failures = max_failures
        self.lockout = timedelta(minutes=lockout_minutes)
        self.clock = clock  # injectable so tests can step past a lockout without sleeping

    @classmethod
    def for_hall(cls, hall) -> AuthService:  # type: ignore[no-untyped-def]
        kiosk = hall.config.kiosk
        return cls(hall.cache, max_failures=getattr(kiosk, "max_pin_failures", 5),
                   lockout_minutes=getattr(kiosk, "lockout_minutes", 15))

    # --- login ---------------------------------------------------------------------------

    def login(self, name: str, pin: str) -> StaffSession:
        """Check the PIN; raises AuthError with a screen message. Audits login / login_failed."""
        name = name.strip()
        now = self.clock()
        with self.cache.transaction() as session:
            staff = session.scalar(select(Staff).where(Staff.name == name))
            if staff is None or not staff.active:
                verify_pin(pin, _DUMMY_HASH)
                audit(session, name or "?", "login_failed", name, reason="unknown" if staff is None else "inactive")
                error = AuthError("没有这个工作人员账户或账户已停用", "unknown_account")
            elif staff.locked_until is not None and staff.locked_until > now:
                audit(session, name, "login_failed", name, reason="locked")
                minutes = _minutes_left(staff.locked_until, now)
                error = AuthError(f"账户已锁定，请在 {minutes} 分钟后再试，或请站长重置 PIN", "locked",
                                  minutes=minutes)
            elif verify_pin(pin, staff.pin_hash):
                staff.failed_attempts = 0
                staff.locked_until = None
                audit(session, name, "login", name, role=staff.role)
                log.info("staff %s logged in", name)
                return StaffSession(staff.id, staff.name, staff.role)
            else:
                staff.failed_attempts += 1
                left = self.max_failures - staff.failed_attempts
                if left <= 0:
                    staff.locked_until = now + self.lockout
                    staff.failed_attempts = 0
                    minutes = int(self.lockout.total_seconds() // 60)
                    audit(session, name, "login_failed", name, reason="wrong_pin", locked_minutes=minutes)
                    error = AuthError(f"PIN 错误次数过多，账户已锁定 {minutes} 分钟", "locked_now", minutes=minutes)
                else:
                    audit(session, name, "login_failed", name, reason="wrong_pin", attempts_left=left)
                    error = AuthError(f"PIN 错误，还可尝试 {left} 次", "wrong_pin", tries_left=left)
        log.warning("failed staff login for %r", name)
        raise error

    def account_stamp(self, staff_id: int) -> str | None:
        """What a sign-in depends on: the PIN hash of an active account (None: removed or disabled).

        A LAN session compares it on every request, so a PIN reset or a disabled account ends it.
        One statement on the driver's connection (a WAL snapshot, no transaction to wait for):
        through an ORM session it was ~2 ms of every counter press over the LAN, on the event loop.
        """
        pooled = self.cache.engine.raw_connection()
        try:
            row = pooled.driver_connection.execute(
                f"SELECT pin_hash, active FROM {Staff.__tablename__} WHERE id = ?", (staff_id,)).fetchone()
        finally:
            pooled.close()
        return row[0] if row is not None and row[1] else None
    def login_at_kiosk(self, number: int | str, pin: str, *, device: str = "kiosk") -> StaffSession:
        """Staff number (工号, the account's number in `yizhan staff list`) and PIN at a public
        kiosk. Nobody there sees a list of names, and wrong PINs never lock the account: a
        resident typing at the kiosk must not lock a clerk out of their counter. The kiosk slows
        its own attempts down instead (KioskBackoff). Every failure is audited with the device."""
        now = self.clock()
        text = str(number).strip()
        with self.cache.transaction() as session:
            staff = session.get(Staff, int(text)) if text.isdigit() and len(text) <= 9 else None
            if staff is None or not staff.active:
                verify_pin(pin, _DUMMY_HASH)
                audit(session, f"#{text or '?'}", "login_failed", f"#{text}", device=device,
                      reason="unknown" if staff is None else "inactive")
                error = AuthError("工号或 PIN 不正确", "wrong_number_or_pin")
            elif staff.locked_until is not None and staff.locked_until > now:
                audit(session, staff.name, "login_failed", staff.name, device=device, reason="locked")
                minutes = _minutes_left(staff.locked_until, now)
                error = AuthError(f"账户已锁定，请在 {minutes} 分钟后再试，或请站长重置 PIN", "locked",
                                  minutes=minutes)
            elif verify_pin(pin, staff.pin_hash):
                audit(session, staff.name, "login", staff.name, role=staff.role, device=device)
                log.info("staff %s unlocked the %s", staff.name, device)
                return StaffSession(staff.id, staff.name, staff.role)
            else:  # the same answer as an unknown number: the kiosk does not confirm who exists
                audit(session, staff.name, "login_failed", staff.name, device=device, reason="wrong_pin")
                error = AuthError("工号或 PIN 不正确", "wrong_number_or_pin")
        log.warning("failed staff login at the %s for number %r", device, text)
        raise error

    def staff_names(self, permission: str | None = None) -> list[str]:
        """Active staff names (for the login picker), optionally only those with a permission."""
        with self.cache.reading() as session:
            rows = session.execute(select(Staff.name, Staff.role).where(Staff.active).order_by(Staff.name))
            return [n for n, role in rows if permission is None or role in PERMISSIONS.get(permission, set())]

    # --- accounts (CLI for the first account and recovery; head in the UI) -----------------

    def list_staff(self) -> list[StaffInfo]:
        with self.cache.reading() as session:
            return [StaffInfo(s.name, s.role, s.active, s.locked_until, s.failed_attempts, s.id)
                    for s in session.scalars(select(Staff).order_by(Staff.name))]

    def add_staff(self, name: str, role: str, pin: str, *, actor: str = "system") -> int:
        """Create the account; returns its staff number (工号)."""
        try:  # (50: the staff table's column; the shared rule allows 64)
            name = check_name(name, "name", max_len=50)
        except ValueError as exc:
            raise AuthError(f"姓名不能为空、不能含控制字符，最长50个字符 ({exc})") from None
        check_role(role)
        check_pin_format(pin)
        with self.cache.transaction() as session:
            if session.scalar(select(Staff.id).where(Staff.name == name)) is not None:
                raise AuthError(f"已有名为 {name} 的账户 (account {name!r} exists)")
            staff = Staff(name=name, role=role, pin_hash=hash_pin(pin))
            session.add(staff)
            session.flush()
            audit(session, actor, "staff_add", name, role=role)
            return staff.id

    def reset_pin(self, name: str, pin: str, *, actor: str = "system") -> None:
        """Set a new PIN and lift any lockout."""
        check_pin_format(pin)
        with self.cache.transaction() as session:
            staff = session.scalar(select(Staff).where(Staff.name == name.strip()))
            if staff is None:
                raise AuthError(f"没有名为 {name} 的账户 (no account {name!r})")
            staff.pin_hash = hash_pin(pin)
            staff.failed_attempts = 0
            staff.locked_until = None
            audit(session, actor, "staff_reset_pin", staff.name)

    def set_role(self, name: str, role: str, *, actor: str = "system") -> None:
        check_role(role)
        with self.cache.transaction() as session:
            staff = session.scalar(select(Staff).where(Staff.name == name.strip()))
            if staff is None:
                raise AuthError(f"没有名为 {name} 的账户 (no account {name!r})")
            old, staff.role = staff.role, role
            audit(session, actor, "staff_role", staff.name, old=old, new=role)

    def set_active(self, name: str, active: bool, *, actor: str = "system") -> None:
        with self.cache.transaction() as session:
            staff = session.scalar(select(Staff).where(Staff.name == name.strip()))
            if staff is None:
                raise AuthError(f"没有名为 {name} 的账户 (no account {name!r})")
            staff.active = active
            audit(session, actor, "staff_enable" if active else "staff_disable", staff.name)


class KioskBackoff:
    """Wrong staff PINs at one kiosk: the first few are free, then each further try waits twice
    as long as the last (30 s, 1 min, 2 min … at most 15 min). It holds this device only; the
    account itself stays usable at the counters."""

    def __init__(self, free: int = 3, first_wait_s: float = 30.0, max_wait_s: float = 900.0,
                 clock: Callable[[], float] | None = None):
        import time

        self.free = free
        self.first_wait_s = first_wait_s
        self.max_wait_s = max_wait_s
        self.clock = clock or time.monotonic
        self.failures = 0
        self.until = 0.0

    def wait_s(self) -> int:
        """Whole seconds before the next try is accepted (0: now)."""
        left = self.until - self.clock()
        return int(left + 0.999) if left > 0 else 0

    def failed(self) -> None:
        self.failures += 1
        extra = self.failures - self.free
        if extra > 0:
            self.until = self.clock() + min(self.max_wait_s, self.first_wait_s * 2 ** (extra - 1))

    def succeeded(self) -> None:
        self.failures = 0
        self.until = 0.0


def _minutes_left(until: datetime, now: datetime) -> int:
    return max(1, int((until - now).total_seconds() + 59) // 60)
