"""Request bodies before the office reads them: refused over the size limits (413), and
`Content-Encoding: gzip` undone with a cap, only after the request's token was checked (a
stranger's "zip bomb" is never unpacked). Installed by create_app (sync/office/api.py).
"""

from __future__ import annotations

import zlib
from collections.abc import Awaitable, Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sync import wire
from sync.office.store import OfficeError


class BodyLimit:
    """ASGI middleware: refuses bodies over the limits (413) and undoes Content-Encoding: gzip.

    The body is decompressed with a cap, so a small "zip bomb" cannot fill the memory.
    """

    def __init__(self, app: ASGIApp, authorize: Callable[[Scope], Awaitable[None]] | None = None):
        self.app = app
        # Checks the request's token (raises OfficeError): a gzip body is unpacked only after it.
        self.authorize = authorize

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        encoding = headers.get("content-encoding", "identity").strip().lower()
        limit = wire.MAX_COMPRESSED_BYTES if encoding == "gzip" else wire.MAX_BODY_BYTES
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await _send_error(send, 413, f"request body of {declared} bytes is over the limit of {limit}")
            return
        if encoding == "gzip" and self.authorize is not None:
            try:
                await self.authorize(scope)
            except OfficeError as exc:
                await _send_error(send, exc.status, exc.message, exc.headers)
                return
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _send_error(send, 413, f"request body is over the limit of {limit} bytes")
                return
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        if encoding == "gzip":
            try:
                body = _gunzip(body)
            except ValueError as exc:
                await _send_error(send, 413 if "limit" in str(exc) else 400, str(exc))
                return
        elif encoding not in ("identity", ""):
            await _send_error(send, 400, f"unsupported Content-Encoding {encoding!r}; use gzip or none")
            return
        new_headers = [(k, v) for k, v in scope["headers"]
                       if k.lower() not in (b"content-encoding", b"content-length")]
        new_headers.append((b"content-length", str(len(body)).encode()))
        scope = {**scope, "headers": new_headers}
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


def _gunzip(data: bytes) -> bytes:
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = d.decompress(data, wire.MAX_BODY_BYTES + 1)
    except zlib.error as exc:
        raise ValueError(f"request body is not valid gzip: {exc}") from None
    if len(out) > wire.MAX_BODY_BYTES:
        raise ValueError(f"request body is over the limit of {wire.MAX_BODY_BYTES} bytes once decompressed")
    if not d.eof:
        raise ValueError("request body is truncated gzip")
    return out


async def _send_error(send: Send, status: int, message: str, headers: dict[str, str] | None = None) -> None:
    body = wire.ErrorReply(detail=wire.ErrorDetail(message=message)).model_dump_json().encode()
    extra = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close"), *extra]})
    await send({"type": "http.response.body", "body": body})
