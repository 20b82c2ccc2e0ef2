"""The hall's one error base. A domain error says what happened as a `code` and its `params`
(names, numbers), which a screen turns into text in its own language at the edge
(kiosk/ui/error_text.py); str() stays the Chinese message the staff screens, the LAN API and
the logs show. Plain Python: the services raise it without Qt."""

from __future__ import annotations


class HallError(Exception):
    """Something the hall refuses or cannot do; str() is its Chinese message."""

    def __init__(self, message: str = "", code: str = "", **params: object):
        super().__init__(message)
        self.code = code  # "" for a refusal no screen has words of its own for yet
        self.params = params
