"""Office console accounts: passwords, roles, lockout, sessions, and the audit log.

Plain domain code on a SQLAlchemy session (no HTTP): the console routes and `yizhan office
account ...` both call it. Passwords are kept only as salted scrypt hashes (sync/passwords.py).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sync.checks import check_name
from sync.office.models import ConsoleSession, OfficeAccount, OfficeAudit, utcnow
from sync.passwords import hash_secret, verify_secret

ROLES = ("admin", "editor", "viewer")
ROLE_NAMES = {"admin": "管理员", "editor": "编辑", "viewer": "查看"}
# What each role may do in the console.
PERMISSIONS = {
    "view": {"admin", "editor", "viewer"},  # halls, statistics, content (read)
    "edit": {"admin", "editor"},  # content: edit, publish, restore; hall tags
    "admin": {"admin"},  # accounts, admin tokens, audit log
}

MAX_FAILURES = 5  # wrong passwords in a row before the account locks
LOCK_MINUTES = 15
SESSION_HOURS = 12  # a working day; the browser signs in again the next morning
MIN_PASSWORD = 10

# Compared against when the name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = hash_secret("not-a-password")


class AccountError(Exception):
    """A refused account operation or sign-in; the message is shown to the person."""


@dataclass(frozen=True)
class SignedIn:
    """A browser session: who, with which role, and the forms' CSRF token."""

    account_id: int
    name: str
    role: str
    csrf: str

    def may(self, permission: str) -> bool:
        return self.role in PERMISSIONS[permission]

    @property
    def role_name(self) -> str:
        return ROLE_NAMES.get(self.role, self.role)


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"密码至少 {MIN_PASSWORD} 个字符 (password must have at least {MIN_PASSWORD} characters)")
    if len(password) > 200:
        raise AccountError("密码过长 (password longer than 200 characters)")
    return password


def check_role(role: str) -> str:
    if role not in ROLES:
        raise AccountError(f"未知角色 {role!r}；可选 admin 管理员 / editor 编辑 / viewer 查看")
    return role


def audit(session: Session, actor: str, action: str, detail: str = "", source: str = "") -> None:
    session.add(OfficeAudit(actor=actor[:100], action=action[:40], detail=detail[:1000], source=source[:60],
                            at=utcnow()))


def add_account(session: Session, name: str, role: str, password: str, *, actor: str, source: str = "") -> OfficeAccount:
    try:
        name = check_name(name, "account name", 50)
    except ValueError as exc:
        raise AccountError(str(exc)) from None
    check_role(role)
    check_password(password)
    if session.scalar(select(OfficeAccount.id).where(OfficeAccount.name == name)) is not None:
        raise AccountError(f"账号 {name!r} 已存在 (account already exists)")
    account = OfficeAccount(name=name, role=role, password_hash=hash_secret(password), active=True,
                            failed_attempts=0, created_at=utcnow())
    session.add(account)
    session.flush()
    audit(session, actor, "account.add", f"{name} role={role}", source)
    return account


def _account(session: Session, name: str) -> OfficeAccount:
    account = session.scalar(select(OfficeAccount).where(OfficeAccount.name == name))
    if account is None:
        raise AccountError(f"没有账号 {name!r} (no such account)")
    return account


def set_role(session: Session, name: str, role: str, *, actor: str, source: str = "") -> None:
    account = _account(session, name)
    check_role(role)
    if account.role == "admin" and role != "admin":
        _keep_one_admin(session, account)
    old, account.role = account.role, role
    audit(session, actor, "account.role", f"{name}: {old} -> {role}", source)


def set_password(session: Session, name: str, password: str, *, actor: str, source: str = "") -> None:
    account = _account(session, name)
    account.password_hash = hash_secret(check_password(password))
    account.failed_attempts, account.locked_until = 0, None
    end_sessions(session, account.id)  # a new password signs out every browser
    audit(session, actor, "account.password", name, source)


def set_active(session: Session, name: str, active: bool, *, actor: str, source: str = "") -> None:
    account = _account(session, name)
    if not active and account.role == "admin":
        _keep_one_admin(session, account)
    account.active = active
    if not active:
        end_sessions(session, account.id)
    audit(session, actor, "account.enable" if active else "account.disable", name, source)


def unlock(session: Session, name: str, *, actor: str, source: str = "") -> None:
    account = _account(session, name)
    account.failed_attempts, account.locked_until = 0, None
    audit(session, actor, "account.unlock", name, source)


def _keep_one_admin(session: Session, account: OfficeAccount) -> None:
    others = session.scalars(select(OfficeAccount.id).where(
        OfficeAccount.role == "admin", OfficeAccount.active.is_(True), OfficeAccount.id != account.id)).all()
    if not others:
        raise AccountError("至少保留一个启用的管理员 (keep at least one active admin)")


def accounts(session: Session) -> list[OfficeAccount]:
    return list(session.scalars(select(OfficeAccount).order_by(OfficeAccount.name)))


def is_locked(account: OfficeAccount, now: datetime) -> bool:
    return account.locked_until is not None and account.locked_until > now


# --- sign-in and sessions ----------------------------------------------------------------------


def sign_in(session: Session, name: str, password: str, *, source: str = "",
            now: datetime | None = None) -> tuple[SignedIn, str]:
    """Check the password; returns the session and the cookie's key (shown once, stored hashed).

    Raises AccountError with one message for a wrong name or password (no hint which), and says
    when a locked account opens again. Every attempt is audited (never the password).
    """
    now = now or utcnow()
    account = session.scalar(select(OfficeAccount).where(OfficeAccount.name == name.strip()))
    if account is None or not account.active:
        verify_secret(password, _DUMMY_HASH)
        audit(session, name.strip()[:100] or "?", "signin.failed", "unknown or disabled account", source)
        raise AccountError("账号或密码错误 (wrong name or password)")
    if is_locked(account, now):
        minutes = max(1, int((account.locked_until - now).total_seconds() // 60) + 1)  # type: ignore[operator]
        audit(session, account.name, "signin.locked", "", source)
        raise AccountError(f"账号已锁定，请 {minutes} 分钟后再试 (account locked; try again in {minutes} min)")
    if not verify_secret(password, account.password_hash):
        account.failed_attempts += 1
        detail = f"attempt {account.failed_attempts}"
        if account.failed_attempts >= MAX_FAILURES:
            account.locked_until = now + timedelta(minutes=LOCK_MINUTES)
            account.failed_attempts = 0
            audit(session, account.name, "signin.lockout", f"locked for {LOCK_MINUTES} min", source)
            raise AccountError(f"密码错误次数过多，账号锁定 {LOCK_MINUTES} 分钟 "
                               f"(too many wrong passwords; locked for {LOCK_MINUTES} min)")
        audit(session, account.name, "signin.failed", detail, source)
        left = MAX_FAILURES - account.failed_attempts
        raise AccountError(f"账号或密码错误，还可尝试 {left} 次 (wrong name or password; {left} tries left)")
    account.failed_attempts, account.locked_until = 0, None
    key = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    session.add(ConsoleSession(key_hash=_hash(key), account_id=account.id, csrf=csrf, created_at=now,
                               expires_at=now + timedelta(hours=SESSION_HOURS)))
    audit(session, account.name, "signin", "", source)
    # Expired sessions of anyone are dropped now and then (here: at each sign-in).
    session.execute(delete(ConsoleSession).where(ConsoleSession.expires_at < now))
    return SignedIn(account.id, account.name, account.role, csrf), key


def session_for(session: Session, key: str, now: datetime | None = None) -> SignedIn | None:
    """The signed-in account of a cookie's key, or None (unknown, expired, disabled)."""
    if not key or len(key) > 100:
        return None
    now = now or utcnow()
    row = session.execute(
        select(ConsoleSession.csrf, ConsoleSession.expires_at, OfficeAccount.id, OfficeAccount.name,
               OfficeAccount.role, OfficeAccount.active)
        .join(OfficeAccount, OfficeAccount.id == ConsoleSession.account_id)
        .where(ConsoleSession.key_hash == _hash(key))).first()
    if row is None or row.expires_at <= now or not row.active:
        return None
    return SignedIn(row.id, row.name, row.role, row.csrf)


def sign_out(session: Session, key: str, who: SignedIn, source: str = "") -> None:
    session.execute(delete(ConsoleSession).where(ConsoleSession.key_hash == _hash(key)))
    audit(session, who.name, "signout", "", source)


def end_sessions(session: Session, account_id: int) -> None:
    session.execute(delete(ConsoleSession).where(ConsoleSession.account_id == account_id))


def check_csrf(who: SignedIn, sent: str) -> bool:
    return bool(sent) and secrets.compare_digest(who.csrf.encode(), sent.encode())


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def recent_audit(session: Session, limit: int = 200) -> list[OfficeAudit]:
    return list(session.scalars(select(OfficeAudit).order_by(OfficeAudit.id.desc()).limit(limit)))
