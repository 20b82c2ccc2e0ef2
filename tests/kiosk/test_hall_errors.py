"""One error base per layer: every error the hall's services and LAN client raise is a HallError
(a code and parameters for the screens, the Chinese message as str()); the old bases
(RuntimeError) still catch the ones that had them."""

from __future__ import annotations

import pytest

from kiosk.errors import HallError
from kiosk.lan.client import ActionNotDone, ActionUnconfirmed, HallUnreachable, LoginError
from kiosk.lan.rating_client import RatingRefused
from kiosk.services.auth import AuthError, PermissionDenied
from kiosk.services.console_sessions import SessionEnded
from kiosk.services.editor import EditorError, StaleEdit, ValidationFailed
from kiosk.services.embedded_office import EmbeddedOfficeError
from kiosk.services.handwriting import HandwritingUnavailable
from kiosk.services.queue import QueueError
from kiosk.services.ratings import RatingError


@pytest.mark.parametrize("kind", [QueueError, AuthError, PermissionDenied, EditorError, StaleEdit, ValidationFailed,
                                  RatingError, SessionEnded, EmbeddedOfficeError, HandwritingUnavailable,
                                  HallUnreachable, ActionUnconfirmed, ActionNotDone, LoginError, RatingRefused])
def test_every_hall_error_is_a_hall_error(kind):
    assert issubclass(kind, HallError)


def test_a_hall_error_carries_its_code_and_parameters_and_its_chinese_message():
    exc = QueueError("今日民政事务业务的号已取完", "sold_out", name="民政事务业务")
    assert (str(exc), exc.code, exc.params) == ("今日民政事务业务的号已取完", "sold_out", {"name": "民政事务业务"})
    rating = RatingError("评价太频繁，请稍后再试", 429)
    assert (str(rating), rating.status, rating.code) == ("评价太频繁，请稍后再试", 429, "")
    assert SessionEnded("idle").params == {"reason": "idle"}
    assert not HallUnreachable("连接不上", sent=False).sent
    assert issubclass(EmbeddedOfficeError, RuntimeError) and issubclass(HandwritingUnavailable, RuntimeError)
