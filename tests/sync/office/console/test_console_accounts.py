"""Console accounts: passwords, lockout, audit, sessions, CSRF and roles — in the domain and over
real HTTP on loopback (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import requests
from sqlalchemy import select

from sync import wire
from sync.office import store
from sync.office.console import accounts
from sync.office.console.accounts import AccountError
from sync.office.models import OfficeAccount, OfficeAudit, utcnow

PW = "a-long-enough-password"


def actions(db) -> list[tuple[str, str]]:
    with db.sessions() as s:
        return [(a.actor, a.action) for a in s.scalars(select(OfficeAudit).order_by(OfficeAudit.id))]


def test_password_is_hashed_and_sign_in_works(office_db_factory):
    db = office_db_factory("sqlite")
    with db.sessions.begin() as s:
        accounts.add_account(s, "王五", "editor", PW, actor="cli")
    with db.sessions() as s:
        stored = s.scalar(select(OfficeAccount.password_hash))
    assert stored.startswith("scrypt$") and PW not in stored
    with db.sessions.begin() as s:
        who, key = accounts.sign_in(s, "王五", PW, source="127.0.0.1")
    assert (who.name, who.role, who.may("edit"), who.may("admin")) == ("王五", "editor", True, False)
    with db.sessions() as s:
        assert accounts.session_for(s, key) == who
        assert accounts.session_for(s, key + "x") is None
        # A session ends after its hours.
        assert accounts.session_for(s, key, now=utcnow() + timedelta(hours=accounts.SESSION_HOURS + 1)) is None
    assert actions(db) == [("cli", "account.add"), ("王五", "signin")]


def test_short_password_unknown_role_and_duplicate_name_are_refused(office_db_factory):
    db = office_db_factory("sqlite")
    with db.sessions.begin() as s:
        with pytest.raises(AccountError, match="至少 10"):
            accounts.add_account(s, "甲", "viewer", "short", actor="cli")
        with pytest.raises(AccountError, match="未知角色"):
            accounts.add_account(s, "甲", "root", PW, actor="cli")
        with pytest.raises(AccountError, match="control characters"):
            accounts.add_account(s, "甲\u202e", "viewer", PW, actor="cli")
        accounts.add_account(s, "甲", "viewer", PW, actor="cli")
        with pytest.raises(AccountError, match="已存在"):
            accounts.add_account(s, "甲", "viewer", PW, actor="cli")


def test_lockout_after_repeated_wrong_passwords(office_db_factory):
    db = office_db_factory("sqlite")
    with db.sessions.begin() as s:
        accounts.add_account(s, "王五", "viewer", PW, actor="cli")
    for i in range(accounts.MAX_FAILURES - 1):
        with db.sessions() as s, pytest.raises(AccountError, match=f"还可尝试 {accounts.MAX_FAILURES - 1 - i} 次"):
            try:
                accounts.sign_in(s, "王五", "wrong")
            finally:
                s.commit()
    with db.sessions() as s, pytest.raises(AccountError, match="锁定 15 分钟"):
        try:
            accounts.sign_in(s, "王五", "wrong")
        finally:
            s.commit()
    # Now even the right password is refused until the lock ends...
    with db.sessions() as s, pytest.raises(AccountError, match="已锁定"):
        accounts.sign_in(s, "王五", PW)
    with db.sessions() as s:
        accounts.sign_in(s, "王五", PW, now=utcnow() + timedelta(minutes=accounts.LOCK_MINUTES + 1))
    # ...or an admin unlocks it.
    with db.sessions.begin() as s:
        accounts.unlock(s, "王五", actor="cli")
        accounts.sign_in(s, "王五", PW)
    got = actions(db)
    assert got.count(("王五", "signin.failed")) == accounts.MAX_FAILURES - 1
    assert ("王五", "signin.lockout") in got and ("cli", "account.unlock") in got and got[-1] == ("王五", "signin")
    # An unknown name gets the same answer as a wrong password, and is audited too.
    with db.sessions() as s, pytest.raises(AccountError, match="账号或密码错误"):
        try:
            accounts.sign_in(s, "没有这人", PW)
        finally:
            s.commit()
    assert actions(db)[-1] == ("没有这人", "signin.failed")


def test_the_last_admin_stays_and_new_password_ends_sessions(office_db_factory):
    db = office_db_factory("sqlite")
    with db.sessions.begin() as s:
        accounts.add_account(s, "管", "admin", PW, actor="cli")
        with pytest.raises(AccountError, match="至少保留一个"):
            accounts.set_role(s, "管", "viewer", actor="cli")
        with pytest.raises(AccountError, match="至少保留一个"):
            accounts.set_active(s, "管", False, actor="cli")
        _who, key = accounts.sign_in(s, "管", PW)
        accounts.set_password(s, "管", PW + "2", actor="cli")
        assert accounts.session_for(s, key) is None


def test_hall_state_on_the_wire_is_strict():
    ok = {"ok": True, "text": "正常"}
    wire.PushBatch.model_validate({"entries": [], "hall_state": {"outbox_waiting": 3, "printer": ok}})
    for bad in ({"outbox_waiting": True}, {"outbox_waiting": "3"}, {"outbox_waiting": -1},
                {"printer": {"ok": 1}}, {"printer": {"ok": "yes"}}, {"board": {"ok": True, "text": "x" * 201}},
                {"app_version": "<script>"}, {"extra": 1}, {"printer": {"ok": True, "text": "纸\u202e将尽"}}):
        with pytest.raises(ValueError):
            wire.PushBatch.model_validate({"entries": [], "hall_state": bad})


# --- over HTTP -------------------------------------------------------------------------------


def login(url: str, name: str, password: str) -> tuple[requests.Session, requests.Response]:
    http = requests.Session()
    r = http.post(f"{url}/console/login", data={"name": name, "password": password, "next": "/console/halls"},
                  allow_redirects=False, timeout=10)
    return http, r


def csrf_of(http: requests.Session, url: str) -> str:
    page = http.get(f"{url}/console/halls", timeout=10).text
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def test_cookie_csrf_and_roles_over_http(office):
    with office.db.sessions.begin() as s:
        accounts.add_account(s, "管理", "admin", PW, actor="test")
        accounts.add_account(s, "查看", "viewer", PW, actor="test")
        store.add_hall(s, "幸福", "xingfu")
    r = requests.get(f"{office.url}/console/halls", allow_redirects=False, timeout=10)
    assert r.status_code == 303 and r.headers["location"].startswith("/console/login")
    assert requests.get(f"{office.url}/console/halls.json", timeout=10).status_code == 401

    http, r = login(office.url, "管理", PW)
    assert r.status_code == 303
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/console" in cookie
    csrf = csrf_of(http, office.url)
    # Without or with a wrong CSRF token, a change is refused and nothing is stored.
    for token in ("", "forged"):
        r = http.post(f"{office.url}/console/halls/xingfu/tags", data={"csrf": token, "tags": "武侯区"},
                      allow_redirects=False, timeout=10)
        assert r.status_code == 403
    with office.db.sessions() as s:
        assert store.hall_tags(s) == {}
    r = http.post(f"{office.url}/console/halls/xingfu/tags", data={"csrf": csrf, "tags": "武侯区，玉林街道"},
                  allow_redirects=False, timeout=10)
    assert r.status_code == 303
    with office.db.sessions() as s:
        assert list(store.hall_tags(s).values()) == [["武侯区", "玉林街道"]]
    assert ("管理", "hall.tags") in actions(office.db)

    viewer, r = login(office.url, "查看", PW)
    viewer_csrf = csrf_of(viewer, office.url)
    r = viewer.post(f"{office.url}/console/halls/xingfu/tags", data={"csrf": viewer_csrf, "tags": "x"},
                    allow_redirects=False, timeout=10)
    assert r.status_code == 403
    assert viewer.get(f"{office.url}/console/accounts", timeout=10).status_code == 403
    assert viewer.get(f"{office.url}/console/stats", timeout=10).status_code == 200
    # Signing out ends the session on the server, not only in the browser.
    cookie_value = viewer.cookies.get("yizhan_console")
    viewer.post(f"{office.url}/console/logout", data={"csrf": viewer_csrf}, timeout=10)
    again = requests.get(f"{office.url}/console/halls.json", cookies={"yizhan_console": cookie_value}, timeout=10)
    assert again.status_code == 401
    # The sign-in page does not redirect elsewhere (no open redirect).
    _h, r = login(office.url, "管理", PW)
    r = requests.post(f"{office.url}/console/login", data={"name": "管理", "password": PW, "next": "//evil.example/"},
                      allow_redirects=False, timeout=10)
    assert r.headers["location"] == "/console/halls"


def test_admin_manages_accounts_and_tokens_over_http(office):
    with office.db.sessions.begin() as s:
        accounts.add_account(s, "管理", "admin", PW, actor="test")
    http, _r = login(office.url, "管理", PW)
    csrf = csrf_of(http, office.url)
    r = http.post(f"{office.url}/console/accounts", data={"csrf": csrf, "action": "add", "name": "新编辑",
                                                          "role": "editor", "password": PW}, timeout=10)
    assert "已添加账号 新编辑" in r.text
    # A new admin token is shown once, in the page, never in a redirect's URL.
    r = http.post(f"{office.url}/console/accounts", data={"csrf": csrf, "action": "add-token", "holder": "王五"},
                  allow_redirects=False, timeout=10)
    assert r.status_code == 200
    token = re.search(r"(yza_[A-Za-z0-9_-]+)", r.text).group(1)
    assert requests.get(f"{office.url}/api/v1/admin/halls", headers={"Authorization": f"Bearer {token}"},
                        timeout=10).status_code == 200
    with office.db.sessions() as s:
        token_id = next(t.id for t in store.admin_tokens(s) if t.name == "王五")
    http.post(f"{office.url}/console/accounts", data={"csrf": csrf, "action": "revoke-token", "token": str(token_id)},
              timeout=10)
    with office.db.sessions() as s:
        assert next(t for t in store.admin_tokens(s) if t.name == "王五").revoked_at is not None
    assert [a for a in actions(office.db) if a[0] == "管理"][-3:] == [
        ("管理", "account.add"), ("管理", "admin_token.add"), ("管理", "admin_token.revoke")]
