"""The counter rating pad's view of the hall LAN API (kiosk/lan/rating_api.py).

Both clients answer with the rating service's own objects (RatingPrompt, RatingDone): over the
LAN they are read back through kiosk/lan/schema.py's messages, the ones the routes declare.
"""

from __future__ import annotations

from typing import Any

from kiosk.errors import HallError
from kiosk.lan import schema
from kiosk.lan.client import HallUnreachable, _error_message
from kiosk.services.ratings import RatingDone, RatingPrompt


class RatingRefused(HallError):
    """The hall refused the rating; str() is its Chinese message (already rated, too many, ...)."""

    def __init__(self, message: str, status: int):
        super().__init__(message, "rating_refused", status=status)
        self.status = status


class RemoteRatingClient:
    def __init__(self, url: str, token: str, window: int, *, timeout: float = 3.0):
        import requests

        self.url = url.rstrip("/")
        self.window = window
        self.timeout = timeout
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"

    def _call(self, method: str, body: dict[str, Any] | None = None) -> Any:
        import requests

        try:
            r = self.http.request(method, f"{self.url}/api/v1/windows/{self.window}/rating", json=body,
                                  timeout=(min(2.0, self.timeout), self.timeout))
        except requests.RequestException as exc:
            raise HallUnreachable(f"连接不上大厅主机 {self.url}") from exc
        if r.status_code == 200:
            return r.json()
        if r.status_code in (401, 404, 409, 422, 429):
            raise RatingRefused(_error_message(r), r.status_code)
        raise HallUnreachable(f"大厅主机出错（HTTP {r.status_code}）：{_error_message(r)}")

    def prompt(self) -> RatingPrompt | None:
        """The ticket to rate at this window now, or None."""
        return schema.read(schema.PromptReply, self._call("GET")).prompt

    def rate(self, ticket_uid: str, level: str, reasons: list[str], comment: str) -> RatingDone:
        answer = self._call("POST", {"ticket_uid": ticket_uid, "level": level, "reasons": reasons,
                                     "comment": comment})
        return schema.read(schema.RatedReply, answer).rating


class LocalRatingClient:
    """The same calls in the hall's own process (a pad on the hall PC's second screen, screenshots)."""

    def __init__(self, ratings: Any, window: int):
        self.ratings = ratings
        self.window = window

    def prompt(self) -> RatingPrompt | None:
        return self.ratings.pending(self.window)

    def rate(self, ticket_uid: str, level: str, reasons: list[str], comment: str) -> RatingDone:
        from kiosk.services.ratings import RatingError

        try:
            return self.ratings.rate(self.window, ticket_uid, level, reasons, comment)
        except RatingError as exc:
            raise RatingRefused(str(exc), exc.status) from None
