"""The LED board layer's one error base: every display error is a DisplayError (a code and
parameters), the old bases still catch them, and display stands apart from the hall."""

from __future__ import annotations

import pytest

from display.errors import DisplayError
from display.fonts import FontError
from display.link import LinkDown
from display.protocols import ChecksumError, ProtocolError


@pytest.mark.parametrize("kind", [LinkDown, FontError, ProtocolError, ChecksumError])
def test_every_display_error_is_a_display_error(kind):
    assert issubclass(kind, DisplayError)
    assert [c.__module__ for c in kind.__mro__ if c.__module__.startswith("kiosk")] == []  # stands alone


def test_protocol_errors_are_still_value_errors():
    with pytest.raises(ValueError, match="bad frame at byte 3"):
        raise ChecksumError("bad frame at byte 3")
