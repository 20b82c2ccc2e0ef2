"""Load generator for the waiting-halls part of tests/bench/sync_bench.py (its own process).

N halls each hold one waiting pull (`wait_s`) open at the office on their own keep-alive
connection, asking again as soon as they have an answer, like the hall's sync waiter. Then:

1. idle: everyone waits, nothing is published, for IDLE_S seconds (the parent measures the
   office processes' CPU meanwhile: it reads our "idle_start"/"idle_end" lines);
2. publishes: PUBLISHES admin publishes to all halls, one after the other; each is timed
   from the request until EVERY waiting hall has the new record in an answer;
3. pushes meanwhile: a few extra connections push ticket events (PUSH_RATE a second) from
   random halls while the publishes fan out; each push is timed. They run in a process of
   their own: this one is busy reading thousands of answers exactly while they are timed,
   and would count its own delay as the office's.

Prints JSON lines: {"event": ...} progress, then the result {"waiting_halls": ..., ...}.

usage: python -m tests.bench.sync_wait_load URL TOKENS_FILE ADMIN_TOKEN HALLS [WAIT_S IDLE_S PUBLISHES PUSH_RATE]
"""

from __future__ import annotations

import asyncio
import gzip
import json
import multiprocessing
import random
import resource
import sys
import time
import uuid
from typing import Any
from urllib.parse import quote, urlsplit

from tests.bench.sync_load import Hall, push_body

STATUSES: dict[str, int] = {}  # what the halls' failed requests met


def say(**data: object) -> None:
    print(json.dumps(data), flush=True)


def pct(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return round(values[min(len(values) - 1, int(len(values) * p))], 1)


class WaitingHall(Hall):
    def __init__(self, host: str, port: int, token: str, wait_s: float, rng: random.Random):
        super().__init__(host, port, token)
        self.wait_s = wait_s
        self.rng = rng
        self.seen: dict[str, float] = {}  # record uid -> when it arrived
        self.waiting = False
        self.errors = 0
        self.requests = 0

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        status, data = await super().request(method, path, body)
        if data[:2] == b"\x1f\x8b":  # (the hall accepts gzip: large pages come compressed)
            data = gzip.decompress(data)
        return status, data

    async def wait_loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            wait = round(self.wait_s * self.rng.uniform(0.8, 1.0), 1)
            try:
                self.waiting = True
                status, data = await self.request(
                    "GET", f"/api/v1/pull?cursor={quote(self.cursor)}&wait_s={wait}")
                self.waiting = False
                self.requests += 1
                now = time.perf_counter()
                if status != 200:
                    self.errors += 1
                    STATUSES[str(status)] = STATUSES.get(str(status), 0) + 1
                    await asyncio.sleep(1.0)
                    continue
                page = json.loads(data)
                self.cursor = page["cursor"]
                for change in page["changes"]:
                    self.seen.setdefault(change["uid"], now)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - e.g. a keep-alive connection the office closed: reconnect
                self.waiting = False
                self.errors += 1
                STATUSES[type(exc).__name__] = STATUSES.get(type(exc).__name__, 0) + 1
                self.writer = None
                await asyncio.sleep(1.0)


async def admin_request(host: str, port: int, admin: str, body: bytes) -> int:
    reader, writer = await asyncio.open_connection(host, port)
    head = (f"POST /api/v1/admin/publish HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {admin}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n")
    writer.write(head.encode() + body)
    await writer.drain()
    status = int((await reader.readline()).split()[1])
    await reader.read()
    writer.close()
    return status


def push_in_own_process(host: str, port: int, tokens: list[str], push_rate: float, go: Any, done: Any,
                        out: Any) -> None:
    """(A spawned process.) From `go` until `done`: 4 connections push ticket events from random
    halls at `push_rate` a second in all; puts (latencies in ms, errors) on `out`."""

    async def run() -> tuple[list[float], int]:
        latencies: list[float] = []
        errors = 0
        await asyncio.to_thread(go.wait)

        async def pusher(i: int) -> None:
            nonlocal errors
            h = Hall(host, port, tokens[i % len(tokens)])
            prng = random.Random(i)
            while not done.is_set():
                await asyncio.sleep(prng.expovariate(push_rate / 4))
                h.token = prng.choice(tokens)
                t = time.perf_counter()
                try:
                    status, _ = await h.request("POST", "/api/v1/push", push_body())
                    if status != 200:
                        errors += 1
                    latencies.append((time.perf_counter() - t) * 1000)
                except (OSError, asyncio.IncompleteReadError):
                    errors += 1
                    h.writer = None

        await asyncio.gather(*(pusher(i) for i in range(4)))
        return latencies, errors

    out.put(asyncio.run(run()))


def notice(title: str) -> dict:
    return {"kind": "notice", "data": {"uid": str(uuid.uuid4()), "title": title, "body": f"{title}：详情请咨询窗口。",
                                       "starts_on": "2026-11-25", "ends_on": "2026-12-31"}}


async def main(url: str, tokens: list[str], admin: str, wait_s: float, idle_s: float, publishes: int,
               push_rate: float) -> dict:
    parts = urlsplit(url)
    host, port = parts.hostname, parts.port
    rng = random.Random(5)
    halls = [WaitingHall(host, port, t, wait_s, rng) for t in tokens]
    # Each hall's first waiting pull answers at once with its backlog; the next one is held.
    t0 = time.perf_counter()
    stop = asyncio.Event()
    tasks = [asyncio.create_task(h.wait_loop(stop)) for h in halls]
    while time.perf_counter() - t0 < 300 and not all(h.requests and h.waiting for h in halls):
        await asyncio.sleep(0.2)
    say(event="caught_up", s=round(time.perf_counter() - t0, 1))
    spawn = multiprocessing.get_context("spawn")
    go, done, out = spawn.Event(), spawn.Event(), spawn.Queue()
    pushers = None
    if push_rate > 0:  # started now: ready (imports done) when the publishes begin
        pushers = spawn.Process(target=push_in_own_process, args=(host, port, tokens, push_rate, go, done, out),
                                daemon=True)
        pushers.start()
    await asyncio.sleep(3.0)  # every hall's request is held by now
    waiting = sum(h.waiting for h in halls)
    say(event="idle_start", waiting=waiting)
    requests_before = sum(h.requests for h in halls)
    await asyncio.sleep(idle_s)
    idle_answers = sum(h.requests for h in halls) - requests_before
    say(event="idle_end", waiting=sum(h.waiting for h in halls))

    say(event="publishes_start")
    go.set()  # the pushes from random halls, in their own process, during the publishes
    fanout: list[float] = []
    publish_ms: list[float] = []  # the admin's publish request alone
    missing = 0
    for i in range(publishes):
        rec = notice(f"街道通知 {i}")
        uid = rec["data"]["uid"]
        body = json.dumps({"records": [rec], "halls": "all"}).encode()
        t = time.perf_counter()
        status = await admin_request(host, port, admin, body)
        answered = time.perf_counter()
        if status != 200:
            raise RuntimeError(f"publish answered {status}")
        deadline = t + 3 * wait_s
        while time.perf_counter() < deadline and any(uid not in h.seen for h in halls):
            await asyncio.sleep(0.01)
        got = [h.seen[uid] for h in halls if uid in h.seen]
        missing += len(halls) - len(got)
        fanout.append((max(got) - t) * 1000 if got else float("inf"))
        publish_ms.append((answered - t) * 1000)
        first = (min(got) - t) * 1000 if got else float("inf")
        say(event="published", i=i, all_ms=round(fanout[-1], 1), publish_ms=round(publish_ms[-1], 1),
            first_ms=round(first, 1), missing=len(halls) - len(got))
        await asyncio.sleep(0.5)
    say(event="publishes_end")
    done.set()
    push_latencies, push_errors = [], 0
    if pushers is not None:
        push_latencies, push_errors = await asyncio.to_thread(out.get, True, 60)
        pushers.join(10)
    stop.set()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {"waiting_halls": waiting, "halls": len(halls), "idle_answers": idle_answers, "publishes": publishes,
            "publish_to_all_p50_ms": pct(fanout, 0.5), "publish_to_all_p99_ms": pct(fanout, 0.99),
            "publish_to_all_max_ms": round(max(fanout), 1), "publish_missing": missing,
            "publish_request_p50_ms": pct(publish_ms, 0.5), "publish_request_p99_ms": pct(publish_ms, 0.99),
            "pushes": len(push_latencies), "push_errors": push_errors,
            "push_p50_ms": pct(push_latencies, 0.5), "push_p99_ms": pct(push_latencies, 0.99),
            "hall_errors": sum(h.errors for h in halls), "hall_error_kinds": STATUSES}


if __name__ == "__main__":
    url, tokens_file, admin, n = sys.argv[1:5]
    wait_s, idle_s, publishes, push_rate = (float(x) for x in (sys.argv[5:9] + ["60", "60", "20", "20"][len(sys.argv[5:9]):]))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # a socket per hall
    tokens = open(tokens_file).read().split()[: int(n)]
    if len(tokens) + 100 > hard:
        sys.exit(f"{len(tokens)} halls need more file descriptors than the limit of {hard} (ulimit -n)")
    result = asyncio.run(main(url, tokens, admin, wait_s, idle_s, int(publishes), push_rate))
    say(**result)
