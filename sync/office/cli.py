"""`yizhan office ...`: run the street-office server and manage its halls, tokens and content."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sync.office.config import OfficeConfig


def register(subparsers: argparse._SubParsersAction) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", type=Path, default=argparse.SUPPRESS,
                        help="office config TOML (see config/office.example.toml)")
    common.add_argument("--database", default=argparse.SUPPRESS, metavar="URL",
                        help="sqlite:///FILE or postgresql+psycopg://USER@HOST/DB (overrides the config)")
    p = subparsers.add_parser(
        "office", parents=[common], help="run the street-office server, manage halls and content",
        description="The street-office server. With no subcommand it serves (like `office serve`).",
    )
    p.set_defaults(run=run_serve, host=None, port=None, public_url=None, workers=None)
    sub = p.add_subparsers(dest="office_command", metavar="SUBCOMMAND")

    s = sub.add_parser("serve", parents=[common], help="run the server (uvicorn)")
    s.add_argument("--host", help="listen address (default from the config: 127.0.0.1)")
    s.add_argument("--port", type=int, help="listen port (default 8700)")
    s.add_argument("--public-url", help="how residents' phones reach this server (QR links)")
    s.add_argument("--workers", type=int, help="server processes (PostgreSQL only)")
    s.set_defaults(run=run_serve)

    a = sub.add_parser("add-hall", parents=[common], help="register a hall and print its token (once)")
    a.add_argument("name", help="the hall's name, e.g. 幸福社区工作站")
    a.add_argument("--code", help="short id, letters/digits/-/_ (default: derived from the count of halls)")
    a.set_defaults(run=run_add_hall)

    r = sub.add_parser("revoke", parents=[common], help="revoke a hall's token (the hall stops syncing)")
    r.add_argument("code", help="the hall's code (see `office halls`)")
    r.set_defaults(run=run_revoke)

    t = sub.add_parser("new-token", parents=[common], help="give a hall a new token (the old one stops working)")
    t.add_argument("code")
    t.set_defaults(run=run_new_token)

    h = sub.add_parser("halls", parents=[common], help="list the halls and when each last synced")
    h.set_defaults(run=run_halls)

    ad = sub.add_parser("add-admin", parents=[common], help="create an admin token (publish, statistics)")
    ad.add_argument("name", help="who holds it, e.g. 街道办 王五")
    ad.set_defaults(run=run_add_admin)

    adm = sub.add_parser("admins", parents=[common], help="list the admin tokens (revoked ones too)")
    adm.set_defaults(run=run_admins)
    ra = sub.add_parser("revoke-admin", parents=[common], help="revoke an admin token by its number (see `office admins`)")
    ra.add_argument("id", type=int, help="the token's number")
    ra.set_defaults(run=run_revoke_admin)

    acc = sub.add_parser("account", parents=[common], help="office console accounts (add the first admin here)")
    acc_sub = acc.add_subparsers(dest="account_command", metavar="ACTION", required=True)
    aa = acc_sub.add_parser("add", parents=[common], help="add an account; asks for the password twice")
    aa.add_argument("name")
    aa.add_argument("--role", choices=["admin", "editor", "viewer"], default="viewer",
                    help="admin 管理员 / editor 编辑 / viewer 查看 (default viewer)")
    aa.add_argument("--password-stdin", action="store_true", help="read the password from one line of stdin")
    aa.set_defaults(run=run_account)
    acc_sub.add_parser("list", parents=[common], help="list accounts, roles and locks").set_defaults(run=run_account)
    ar = acc_sub.add_parser("role", parents=[common], help="change an account's role")
    ar.add_argument("name")
    ar.add_argument("role", choices=["admin", "editor", "viewer"])
    ar.set_defaults(run=run_account)
    ap = acc_sub.add_parser("password", parents=[common], help="set a new password (signs out its browsers)")
    ap.add_argument("name")
    ap.add_argument("--password-stdin", action="store_true")
    ap.set_defaults(run=run_account)
    for action, what in (("disable", "stop an account signing in"), ("enable", "let it sign in again"),
                         ("unlock", "lift a lockout after wrong passwords")):
        x = acc_sub.add_parser(action, parents=[common], help=what)
        x.add_argument("name")
        x.set_defaults(run=run_account)

    pub = sub.add_parser("publish", parents=[common], help="publish a content folder to halls")
    pub.add_argument("folder", type=Path, help="a content folder (hall.yaml + guides/*.yaml)")
    pub.add_argument("--halls", default="all", help="comma-separated hall codes, or all (default)")
    pub.set_defaults(run=run_publish)


def office_config(args: argparse.Namespace) -> OfficeConfig:
    from sync.config_file import ConfigError, load_config

    try:
        config: OfficeConfig = load_config(getattr(args, "config", None), OfficeConfig)
    except ConfigError as exc:
        print(f"配置错误 config error in {exc.path}:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        raise SystemExit(2) from None
    database = getattr(args, "database", None)
    if database:
        try:
            config.database = config.database.model_validate({**config.database.model_dump(), "url": database})
        except ValueError as exc:
            print(f"--database: {exc}", file=sys.stderr)
            raise SystemExit(2) from None
    for key in ("host", "port", "public_url", "workers"):
        value = getattr(args, key, None)
        if value is not None:
            setattr(config.server, key, value)
    return config


def _db(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from sync.office.db import OfficeDB

    return OfficeDB(office_config(args).database_url())


def _fail(message: str) -> int:
    print(f"错误 error: {message}", file=sys.stderr)
    return 1


def run_serve(args: argparse.Namespace) -> int:
    from sync.office.server import serve

    serve(office_config(args))
    return 0


def run_add_hall(args: argparse.Namespace) -> int:
    import re

    from sqlalchemy import func, select

    from sync.checks import check_name
    from sync.office import store
    from sync.office.models import Hall

    db = _db(args)
    try:
        with db.sessions.begin() as s:
            code = args.code or f"hall-{(s.scalar(select(func.count()).select_from(Hall)) or 0) + 1}"
            if not re.fullmatch(r"[a-z0-9_-]{1,40}", code):
                return _fail(f"--code {code!r}: use 1-40 lowercase letters, digits, - or _")
            try:
                name = check_name(args.name, "hall name")
            except ValueError as exc:
                return _fail(str(exc))
            hall, token = store.add_hall(s, name, code)
    except store.OfficeError as exc:
        return _fail(exc.message)
    finally:
        db.close()
    print(f"已登记大厅 hall added: {hall.name} (code {hall.code})")
    print("令牌只显示这一次，请填入大厅配置 [office] token = ... (shown once; put it in the hall's config):")
    print(token)
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    from sync.office import store

    db = _db(args)
    try:
        with db.sessions.begin() as s:
            store.revoke_hall(s, args.code)
    except store.OfficeError as exc:
        return _fail(exc.message)
    finally:
        db.close()
    print(f"已吊销 revoked: hall {args.code} can no longer sync (running servers stop it within seconds)")
    return 0


def run_new_token(args: argparse.Namespace) -> int:
    from sync.office import store

    db = _db(args)
    try:
        with db.sessions.begin() as s:
            token = store.new_hall_token(s, args.code)
    except store.OfficeError as exc:
        return _fail(exc.message)
    finally:
        db.close()
    print(f"新令牌 new token for hall {args.code} (shown once):")
    print(token)
    return 0


def run_halls(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from sync.checks import terminal_safe
    from sync.office.models import Hall

    db = _db(args)
    try:
        with db.reading() as s:
            for h in s.scalars(select(Hall).order_by(Hall.code)):
                state = "revoked" if h.revoked_at else "active"
                seen = h.last_seen_at.isoformat(timespec="seconds") if h.last_seen_at else "never"
                print(f"{h.code}\t{state}\tlast seen {seen}\t{terminal_safe(h.name)}")
    finally:
        db.close()
    return 0


def run_add_admin(args: argparse.Namespace) -> int:
    from sync.office import store

    db = _db(args)
    try:
        with db.sessions.begin() as s:
            token = store.add_admin(s, args.name)
    finally:
        db.close()
    print(f"管理令牌 admin token for {args.name} (shown once; publish and statistics):")
    print(token)
    return 0


def run_publish(args: argparse.Namespace) -> int:
    from sync.content import ContentError
    from sync.office import store
    from sync.office.server import bundle_records

    try:
        records = bundle_records(args.folder)
    except ContentError as exc:
        return _fail(str(exc))
    halls = "all" if args.halls.strip() == "all" else [c.strip() for c in args.halls.split(",") if c.strip()]
    db = _db(args)
    try:
        with db.sessions.begin() as s:
            results = store.publish(s, records, halls, author="office cli")
    except store.OfficeError as exc:
        return _fail(exc.message)
    finally:
        db.close()
    changed = sum(r.changed for r in results)
    print(json.dumps({"records": len(results), "changed": changed,
                      "halls": results[0].halls if results else 0}, ensure_ascii=False))
    return 0


def run_admins(args: argparse.Namespace) -> int:
    from sync.checks import terminal_safe
    from sync.office import store

    db = _db(args)
    try:
        with db.reading() as s:
            for t in store.admin_tokens(s):
                state = f"revoked {t.revoked_at.isoformat(timespec='seconds')}" if t.revoked_at else "active"
                print(f"{t.id}\t{state}\tcreated {t.created_at.isoformat(timespec='seconds')}\t{terminal_safe(t.name)}")
    finally:
        db.close()
    return 0


def run_revoke_admin(args: argparse.Namespace) -> int:
    from sync.office import store
    from sync.office.console.accounts import audit

    db = _db(args)
    try:
        with db.sessions.begin() as s:
            token = store.revoke_admin_id(s, args.id)
            audit(s, "cli", "admin_token.revoke", f"#{token.id} {token.name}", "cli")
    except store.OfficeError as exc:
        return _fail(exc.message)
    finally:
        db.close()
    print(f"已吊销 revoked admin token #{args.id} (running servers stop accepting it within 30 s)")
    return 0


def _read_password(args: argparse.Namespace) -> str:
    if getattr(args, "password_stdin", False):
        return sys.stdin.readline().rstrip("\n")
    import getpass

    first = getpass.getpass("密码 password (at least 10 characters): ")
    if getpass.getpass("再输入一次 again: ") != first:
        raise SystemExit(_fail("两次输入的密码不同 (the passwords differ)"))
    return first


def run_account(args: argparse.Namespace) -> int:
    from sync.checks import terminal_safe
    from sync.office.console import accounts
    from sync.office.models import utcnow

    action = args.account_command
    password = _read_password(args) if action in ("add", "password") else ""
    db = _db(args)
    try:
        with db.sessions.begin() as s:
            if action == "list":
                now = utcnow()
                for a in accounts.accounts(s):
                    state = "disabled" if not a.active else "locked" if accounts.is_locked(a, now) else "active"
                    print(f"{terminal_safe(a.name)}\t{a.role} {accounts.ROLE_NAMES[a.role]}\t{state}")
                return 0
            if action == "add":
                accounts.add_account(s, args.name, args.role, password, actor="cli", source="cli")
            elif action == "role":
                accounts.set_role(s, args.name, args.role, actor="cli", source="cli")
            elif action == "password":
                accounts.set_password(s, args.name, password, actor="cli", source="cli")
            elif action in ("disable", "enable"):
                accounts.set_active(s, args.name, action == "enable", actor="cli", source="cli")
            elif action == "unlock":
                accounts.unlock(s, args.name, actor="cli", source="cli")
    except accounts.AccountError as exc:
        return _fail(str(exc))
    finally:
        db.close()
    print(f"完成 done: account {action} {terminal_safe(args.name)}")
    return 0
