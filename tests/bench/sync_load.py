"""Load generator for tests/bench/sync_bench.py (runs in its own process).

Simulates N halls against an office: each hall keeps one keep-alive connection, polls
/api/v1/pull every PERIOD seconds (staggered) and every PUSH_EVERY-th time pushes a few ticket
events instead. Prints one JSON line: completed requests, errors, latencies (ms) percentiles.

usage: python -m tests.bench.sync_load URL TOKENS_FILE DURATION_S PERIOD_S PUSH_EVERY [HALLS]
(PERIOD_S 0: closed loop, every hall polls again as soon as it has its answer;
SYNC_LOAD_DAY=YYYY-MM-DD: the pushed tickets' day, default 2026-11-25)
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import time
import uuid
from urllib.parse import quote, urlsplit

DAY = os.environ.get("SYNC_LOAD_DAY", "2026-11-25")


def push_body() -> bytes:
    entries = []
    ticket = str(uuid.uuid4())
    for seq, (kind, state) in enumerate((("issued", "waiting"), ("called", "called")), start=1):
        ev = str(uuid.uuid4())
        entries.append({"id": ev, "seq": seq, "kind": "ticket_event", "payload": {
            "ticket": {"uid": ticket, "label": "A001", "prefix": "A", "number": 1, "service_day": DAY,
                       "business_code": "labor", "priority": False, "state": state, "window_number": 1,
                       "issued_at": f"{DAY}T01:00:00+00:00", "called_at": None, "finished_at": None},
            "event": {"uid": ev, "kind": kind, "at": f"{DAY}T01:00:00+00:00", "window_number": 1,
                      "business_code": "labor", "detail": {}}}})
    return json.dumps({"wire": 1, "entries": entries}).encode()


async def read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """One HTTP/1.1 answer with a Content-Length: (status, body)."""
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionResetError("the office closed the connection")
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        if name.lower() == "content-length":
            length = int(value)
    data = await reader.readexactly(length) if length else b""
    return int(status_line.split()[1]), data


class Hall:
    def __init__(self, host: str, port: int, token: str):
        self.host, self.port, self.token = host, port, token
        self.cursor = ""
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        try:
            return await self._request(method, path, body)
        except ConnectionError:
            # the office closed the kept-alive connection as we sent (its keep-alive timeout, a
            # restart): a new connection and once more, as the hall's HTTP client does (a push is
            # safe to repeat: the office keeps each entry once)
            self.writer = None
            return await self._request(method, path, body)

    async def _request(self, method: str, path: str, body: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = (f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\nAuthorization: Bearer {self.token}\r\n"
                f"User-Agent: yizhan-hall\r\nAccept-Encoding: gzip\r\n")
        if body:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        self.writer.write(head.encode() + b"\r\n" + body)
        await self.writer.drain()
        return await read_answer(self.reader)

    async def pull(self) -> int:
        status, data = await self.request("GET", f"/api/v1/pull?cursor={quote(self.cursor)}")
        if status == 200 and data[:1] == b"{":
            self.cursor = json.loads(data)["cursor"]
        return status


async def main(url: str, tokens: list[str], duration: float, period: float, push_every: int) -> dict:
    parts = urlsplit(url)
    halls = [Hall(parts.hostname, parts.port, t) for t in tokens]
    # Catch up first (not measured): every hall reaches the end of its feed.
    sem = asyncio.Semaphore(50)

    async def catch_up(h: Hall) -> None:
        async with sem:
            await h.pull()

    await asyncio.gather(*(catch_up(h) for h in halls))
    latencies: list[float] = []
    push_latencies: list[float] = []
    errors = 0
    pushes = 0
    start = time.perf_counter()
    end = start + duration

    async def run(h: Hall, offset: float, phase: int) -> None:
        nonlocal errors, pushes
        if period == 0:  # closed loop: as fast as the office answers (its capacity)
            while time.perf_counter() < end:
                t0 = time.perf_counter()
                if await h.pull() != 200:
                    errors += 1
                latencies.append((time.perf_counter() - t0) * 1000)
            return
        n = phase  # halls push at different rounds
        next_at = start + offset
        while True:
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
            if time.perf_counter() >= end:
                return
            n += 1
            t0 = time.perf_counter()
            try:
                status = 200
                if n % push_every == 0:  # this hall had tickets: push, then the usual pull
                    pushes += 1
                    status, _ = await h.request("POST", "/api/v1/push", push_body())
                    latencies.append((time.perf_counter() - t0) * 1000)
                    push_latencies.append(latencies[-1])
                    t0 = time.perf_counter()
                status = max(status, await h.pull())
                if status != 200:
                    errors += 1
            except (OSError, asyncio.IncompleteReadError, ValueError):
                errors += 1
                h.writer = None
            latencies.append((time.perf_counter() - t0) * 1000)
            next_at += period
            if time.perf_counter() > end:
                return

    rng = random.Random(3)
    await asyncio.gather(*(run(h, rng.random() * period, rng.randrange(push_every)) for h in halls))
    elapsed = duration  # requests are only started inside the window
    latencies.sort()

    def pct(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(len(latencies) * p))], 2) if latencies else 0.0

    return {"requests": len(latencies), "pushes": pushes, "errors": errors, "elapsed_s": round(elapsed, 2),
            "rps": round(len(latencies) / elapsed, 1), "p50_ms": pct(0.50), "p90_ms": pct(0.90),
            "p99_ms": pct(0.99), "max_ms": round(latencies[-1], 2) if latencies else 0.0,
            "push_p50_ms": round(sorted(push_latencies)[len(push_latencies) // 2], 2) if push_latencies else 0.0,
            "push_p99_ms": round(sorted(push_latencies)[int(len(push_latencies) * 0.99)], 2) if push_latencies else 0.0}


if __name__ == "__main__":
    url, tokens_file, duration, period, push_every = sys.argv[1:6]
    tokens = open(tokens_file).read().split()
    if len(sys.argv) > 6:
        tokens = tokens[: int(sys.argv[6])]
    print(json.dumps(asyncio.run(main(url, tokens, float(duration), float(period), int(push_every)))))
