"""The LED board layer's one error base: a `code` and `params` say what went wrong for whoever
words it (the hall's status line, the command line); str() is the English message with the
file, port or byte it concerns. `display` stands alone (it never imports the hall)."""

from __future__ import annotations


class DisplayError(Exception):
    def __init__(self, message: str = "", code: str = "", **params: object):
        super().__init__(message)
        self.code = code
        self.params = params
