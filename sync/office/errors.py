"""The one exception the office raises for a request it refuses (its own module, so that the
store and the checks it calls can both name it)."""

from __future__ import annotations


class OfficeError(Exception):
    """A request the office refuses; `status` is the HTTP status, `entry` the entry to blame."""

    def __init__(self, status: int, message: str, entry: str | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.entry = entry
        self.headers = headers  # e.g. Retry-After on a 429
