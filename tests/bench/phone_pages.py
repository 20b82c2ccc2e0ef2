"""Open ticket pages for tests/bench/phone_bench.py, in their own process (asyncio, raw HTTP/1.1).

Each page holds one keep-alive connection and long-polls `/t/{uid}/live?v=VERSION` as the
page's script does, asking again as soon as it has an answer. One process with plain asyncio
streams, so the load generator is not what limits the office (an HTTP client library in the
bench's own process was). Prints JSON lines: {"event": "ready"} once every page has its first
answer; after "stop" on standard input, {"updates": [time.monotonic() of each page update],
"errors": N}. time.monotonic() is the system's monotonic clock: the bench compares it with its own.

usage: python -m tests.bench.phone_pages URL UIDS_FILE  (from the project root)
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from urllib.parse import urlsplit

from tests.bench.sync_load import read_answer


class Page:
    def __init__(self, host: str, port: int, uid: str):
        self.host, self.port, self.uid = host, port, uid
        self.version = ""
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def poll(self) -> str:
        """One long poll; the version it answered."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(f"GET /t/{self.uid}/live?v={self.version} HTTP/1.1\r\nHost: {self.host}\r\n"
                          f"User-Agent: phone-bench\r\n\r\n".encode())
        await self.writer.drain()
        status, body = await read_answer(self.reader)
        if status != 200:
            raise ValueError(f"status {status}")
        return json.loads(body)["version"]


async def main(url: str, uids: list[str]) -> None:
    parts = urlsplit(url)
    pages = [Page(parts.hostname, parts.port, uid) for uid in uids]
    updates: list[float] = []
    errors = 0
    stopping = asyncio.Event()
    first = asyncio.Semaphore(50)  # open the pages a few at a time, as residents do

    async def run(page: Page) -> None:
        nonlocal errors
        async with first:
            page.version = await page.poll()
        while not stopping.is_set():
            try:
                version = await page.poll()
                if version != page.version:
                    updates.append(time.monotonic())
                page.version = version
            except (OSError, asyncio.IncompleteReadError, ValueError):
                errors += 1  # counted; the page tries again a moment later, as the real one does
                page.writer = None
                await asyncio.sleep(1)

    tasks = [asyncio.ensure_future(run(p)) for p in pages]
    while sum(1 for p in pages if p.version) < len(pages):
        await asyncio.sleep(0.1)
    print(json.dumps({"event": "ready"}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)  # "stop"
    stopping.set()
    for t in tasks:
        t.cancel()
    print(json.dumps({"updates": updates, "errors": errors}), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], open(sys.argv[2]).read().split()))
