"""`yizhan staff add|reset-pin|list`: staff accounts, for the first account and for recovery.

The PIN is read from standard input (asked twice on a terminal, one line from a pipe), never
from the command line, where it would end up in the shell history and the process list.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from kiosk.commands.common import add_hall_options, hall_config
from kiosk.services.auth import ROLE_NAMES, ROLES, AuthError, AuthService, check_pin_format
from sync.cache.db import open_cache
from sync.checks import terminal_safe


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("staff", help="add staff accounts, reset a PIN, list accounts",
                              description="Manage staff accounts in the hall cache. PINs are read from "
                              "standard input, never from the command line.")
    sub = p.add_subparsers(dest="staff_command", metavar="ACTION", required=True)

    add = sub.add_parser("add", help="create an account (PIN from standard input)")
    add_hall_options(add)
    add.add_argument("name", help="the staff member's name, as shown on the login screen")
    add.add_argument("--role", required=True, choices=ROLES,
                     help="clerk: counter only; editor: content; head: everything (站长)")
    add.set_defaults(run=run_add)

    reset = sub.add_parser("reset-pin", help="set a new PIN and lift a lockout (PIN from standard input)")
    add_hall_options(reset)
    reset.add_argument("name")
    reset.set_defaults(run=run_reset)

    ls = sub.add_parser("list", help="list accounts, their roles and lockouts")
    add_hall_options(ls)
    ls.set_defaults(run=run_list)


def read_pin(stream=None) -> str:  # type: ignore[no-untyped-def]
    """The new PIN: asked twice without echo on a terminal, else the first line of stdin."""
    stream = stream or sys.stdin
    if stream.isatty():
        first = getpass.getpass("新 PIN (4–8位数字): ")
        second = getpass.getpass("再输入一次: ")
        if first != second:
            raise AuthError("两次输入的 PIN 不一致 (the two PINs differ)")
        return check_pin_format(first)
    line = stream.readline()
    if not line:
        raise AuthError("没有从标准输入读到 PIN (no PIN on standard input)")
    return check_pin_format(line.rstrip("\r\n"))


def _auth(args: argparse.Namespace) -> AuthService:
    return AuthService(open_cache(hall_config(args).cache_path()))


def run_add(args: argparse.Namespace) -> int:
    try:
        pin = read_pin()
        auth = _auth(args)
        number = auth.add_staff(args.name, args.role, pin, actor="cli")
    except AuthError as exc:
        print(f"错误 error: {exc}", file=sys.stderr)
        return 1
    print(f"已添加 {args.name.strip()}（{ROLE_NAMES[args.role]} {args.role}），工号 {number}"
          "（自助机工作人员入口：工号 + PIN）")
    return 0


def run_reset(args: argparse.Namespace) -> int:
    try:
        pin = read_pin()
        _auth(args).reset_pin(args.name, pin, actor="cli")
    except AuthError as exc:
        print(f"错误 error: {exc}", file=sys.stderr)
        return 1
    print(f"已重置 {args.name} 的 PIN，锁定已解除")
    return 0


def run_list(args: argparse.Namespace) -> int:
    staff = _auth(args).list_staff()
    if not staff:
        print("还没有工作人员账户；用 `yizhan staff add NAME --role head` 创建第一个")
        return 0
    for s in staff:
        state = "启用" if s.active else "停用"
        if s.locked_until is not None:
            state += f"，锁定至 {s.locked_until.astimezone().strftime('%Y-%m-%d %H:%M')}"
        print(f"{terminal_safe(s.name)}\t{s.role}\t{ROLE_NAMES.get(s.role, s.role)}\t{state}\t工号 {s.number}")
    return 0
