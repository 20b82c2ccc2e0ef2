"""The edge where the hall's errors (kiosk/errors.py HallError: a code and its parameters)
become words on a resident's screen, in the screen's language. The Chinese kiosk keeps each
error's own message for a code it has no words for here; the English kiosk never shows that
Chinese sentence, but a plain English one asking the resident to see the staff."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication as Q

# Shown on the English kiosk for an error with no words of its own here.
ASK_STAFF_EN = "This cannot be done at the kiosk just now. Please ask the staff at a counter."


def _name(params: dict[str, Any], english: bool) -> str:
    name = str(params.get("name", ""))
    return str(params.get("name_en") or name) if english else name


WORDS: dict[str, Callable[[dict[str, Any], bool], str]] = {
    # the queue (kiosk/services/queue.py)
    "sold_out": lambda p, en: Q.translate("Kiosk", "今日%1的号已取完，请明天再来或咨询工作人员").replace(
        "%1", _name(p, en)),
    "business_paused": lambda p, en: Q.translate("Kiosk", "%1暂停取号，请咨询工作人员").replace("%1", _name(p, en)),
    "unknown_business": lambda _p, _en: Q.translate("Kiosk", "没有这项业务，请返回重新选择"),
    # staff sign-in at the kiosk (kiosk/services/auth.py)
    "wrong_number_or_pin": lambda _p, _en: Q.translate("Kiosk", "工号或 PIN 不正确"),
    "locked": lambda p, _en: Q.translate("Kiosk", "账户已锁定，请在 %n 分钟后再试，或请站长重置 PIN", None,
                                         int(p.get("minutes", 1))),
}


def error_text(exc: BaseException, *, english: bool) -> str:
    """A hall error in the screen's language."""
    words = WORDS.get(getattr(exc, "code", "") or "")
    if words is not None:
        return words(getattr(exc, "params", {}) or {}, english)
    return ASK_STAFF_EN if english else str(exc)
