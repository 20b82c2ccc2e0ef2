"""Row-by-row salvage of a damaged cache file: read every table row still readable in it.

Why our own reader and not the `sqlite3` CLI's `.recover`: `.recover` needs the `sqlite_dbpage`
virtual table, which Debian's `sqlite3` package (3.40) and Python's bundled SQLite are built
without ("no such table: sqlite_dbpage"), and asking SQLite itself is no use on the damage that
matters: a query stops at the first bad page of a table, a damaged root or interior page hides
every row below it, a 0-byte file makes SQLite *delete* the WAL beside it, and a torn page 1
makes the whole file "not a database". So this module reads the file format directly
(https://www.sqlite.org/fileformat2.html), as `.recover` does:

- the WAL's committed frames (checksums and salts checked) are laid over the main file, so
  commits not yet checkpointed are read too;
- each table's b-tree is walked from its root page (from `sqlite_master`, if page 1 is readable):
  those rows are certain;
- every other table leaf page that is not on the freelist (orphaned by a damaged parent, or the
  whole file when `sqlite_master` is lost) is matched to the table whose column types all its
  records fit; its rows are taken only where the walk did not already find that rowid.

Nothing here writes to the damaged file: it is read as bytes.
"""

from __future__ import annotations

import logging
import struct
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

HEADER = b"SQLite format 3\x00"
LEAF_TABLE, INTERIOR_TABLE = 0x0D, 0x05


@dataclass
class Column:
    name: str
    kind: str  # int | text | real | any
    notnull: bool
    rowid_alias: bool = False


@dataclass
class Salvaged:
    """Rows read from a damaged file: {table: {rowid: values}} and what could not be read."""

    rows: dict[str, dict[int, tuple]] = field(default_factory=lambda: defaultdict(dict))
    bad_pages: int = 0
    pages: int = 0
    walked: bool = False  # the schema on page 1 was readable and the b-trees were walked
    wal_frames: int = 0


def column_kind(decl: str) -> str:
    decl = decl.upper()
    if "INT" in decl or "BOOL" in decl:
        return "int"
    if any(t in decl for t in ("CHAR", "TEXT", "CLOB", "JSON", "DATE", "TIME")):
        return "text"
    if any(t in decl for t in ("REAL", "FLOA", "DOUB")):
        return "real"
    return "any"


def _fits(col: Column, value: object) -> bool:
    if value is None:
        return not col.notnull or col.rowid_alias
    if col.rowid_alias:
        return False  # an INTEGER PRIMARY KEY is stored as NULL: the rowid holds it
    if col.kind == "int":
        return isinstance(value, int)
    if col.kind == "text":
        return isinstance(value, str)
    if col.kind == "real":
        return isinstance(value, (int, float))
    return True


def fits_table(columns: list[Column], record: tuple) -> bool:
    return len(record) == len(columns) and all(_fits(c, v) for c, v in zip(columns, record, strict=True))


# --- reading the file -------------------------------------------------------------------------


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    value = 0
    for i in range(9):
        b = buf[pos + i]
        if i == 8:
            return (value << 8) | b, pos + 9
        value = (value << 7) | (b & 0x7F)
        if b < 0x80:
            return value, pos + i + 1
    raise IndexError


def _wal_checksum(data: bytes, s0: int, s1: int, big: bool) -> tuple[int, int]:
    fmt = (">" if big else "<") + f"{len(data) // 4}I"
    words = struct.unpack(fmt, data)
    for i in range(0, len(words), 2):
        s0 = (s0 + words[i] + s1) & 0xFFFFFFFF
        s1 = (s1 + words[i + 1] + s0) & 0xFFFFFFFF
    return s0, s1


def read_wal(path: Path) -> tuple[int, dict[int, bytes], int]:
    """(page size, {page number: newest committed image}, database size in pages) from a WAL."""
    try:
        data = path.read_bytes()
    except OSError:
        return 0, {}, 0
    if len(data) < 32:
        return 0, {}, 0
    magic, _version, page_size, _seq, salt1, salt2, c0, c1 = struct.unpack(">8I", data[:32])
    if magic not in (0x377F0682, 0x377F0683) or page_size < 512 or page_size & (page_size - 1):
        return 0, {}, 0
    big = magic & 1 == 1
    s0, s1 = _wal_checksum(data[:24], 0, 0, big)
    if (s0, s1) != (c0, c1):
        return 0, {}, 0
    pages: dict[int, bytes] = {}
    pending: dict[int, bytes] = {}
    db_pages = 0
    pos = 32
    while pos + 24 + page_size <= len(data):
        pgno, commit, fs1, fs2, f0, f1 = struct.unpack(">6I", data[pos:pos + 24])
        image = data[pos + 24:pos + 24 + page_size]
        if (fs1, fs2) != (salt1, salt2):
            break
        s0, s1 = _wal_checksum(data[pos:pos + 8], s0, s1, big)
        s0, s1 = _wal_checksum(image, s0, s1, big)
        if (s0, s1) != (f0, f1):
            break
        pending[pgno] = image
        if commit:  # a transaction's last frame: its pages count from here on
            pages.update(pending)
            pending.clear()
            db_pages = commit
        pos += 24 + page_size
    return page_size, pages, db_pages


class PageFile:
    """The damaged database as pages: main file with the WAL's committed pages laid over it."""

    def __init__(self, path: Path, wal: Path | None = None):
        try:
            self.main = path.read_bytes()
        except OSError:
            self.main = b""
        wal_size, self.wal, wal_pages = read_wal(wal) if wal is not None else (0, {}, 0)
        header_ok = self.main[:16] == HEADER
        size = int.from_bytes(self.main[16:18], "big") if header_ok else 0
        size = 65536 if size == 1 else size
        self.page_size = size if size >= 512 and size & (size - 1) == 0 else (wal_size or 4096)
        page1 = self.wal.get(1)
        if page1 is not None and page1[:16] == HEADER:
            header_ok, self.header = True, page1[:100]
        else:
            self.header = self.main[:100] if header_ok else b""
        self.reserved = self.header[20] if self.header else 0
        self.usable = self.page_size - self.reserved
        main_pages = len(self.main) // self.page_size
        self.count = max(main_pages, wal_pages, max(self.wal, default=0))

    def page(self, n: int) -> bytes | None:
        if n in self.wal:
            return self.wal[n]
        start = (n - 1) * self.page_size
        if n < 1 or start + self.page_size > len(self.main):
            return None
        return self.main[start:start + self.page_size]

    def freelist(self) -> set[int]:
        """Pages on the freelist (old, deleted content); empty if the header is unreadable."""
        free: set[int] = set()
        if not self.header:
            return free
        trunk = int.from_bytes(self.header[32:36], "big")
        seen = 0
        while trunk and trunk not in free and seen < self.count:
            page = self.page(trunk)
            if page is None:
                break
            free.add(trunk)
            n = int.from_bytes(page[4:8], "big")
            for i in range(min(n, (self.usable - 8) // 4)):
                free.add(int.from_bytes(page[8 + 4 * i:12 + 4 * i], "big"))
            trunk = int.from_bytes(page[0:4], "big")
            seen += 1
        return free

    # -- b-tree pages ----------------------------------------------------------------------

    def _header_at(self, n: int) -> int:
        return 100 if n == 1 else 0

    def page_type(self, n: int) -> int | None:
        page = self.page(n)
        return None if page is None else page[self._header_at(n)]

    def children(self, n: int) -> list[int]:
        """Child pages of an interior table page."""
        page = self.page(n)
        h = self._header_at(n)
        if page is None or page[h] != INTERIOR_TABLE:
            return []
        cells = int.from_bytes(page[h + 3:h + 5], "big")
        out = []
        for i in range(cells):
            ptr = int.from_bytes(page[h + 12 + 2 * i:h + 14 + 2 * i], "big")
            if ptr + 4 <= len(page):
                out.append(int.from_bytes(page[ptr:ptr + 4], "big"))
        out.append(int.from_bytes(page[h + 8:h + 12], "big"))
        return [c for c in out if 1 <= c <= self.count]

    def leaf_rows(self, n: int) -> Iterator[tuple[int, tuple]]:
        """(rowid, record) of every cell of a table leaf page that decodes cleanly."""
        page = self.page(n)
        h = self._header_at(n)
        if page is None or page[h] != LEAF_TABLE:
            return
        cells = int.from_bytes(page[h + 3:h + 5], "big")
        for i in range(cells):
            try:
                ptr = int.from_bytes(page[h + 8 + 2 * i:h + 10 + 2 * i], "big")
                size, pos = _varint(page, ptr)
                rowid, pos = _varint(page, pos)
                payload = self._payload(page, pos, size)
                if payload is not None:
                    yield rowid, _record(payload)
            except (IndexError, ValueError, UnicodeDecodeError, struct.error):
                continue

    def _payload(self, page: bytes, pos: int, size: int) -> bytes | None:
        u = self.usable
        x = u - 35
        if size <= x:
            out = page[pos:pos + size]
            return out if len(out) == size else None
        m = ((u - 12) * 32 // 255) - 23
        k = m + ((size - m) % (u - 4))
        local = k if k <= x else m
        parts = [page[pos:pos + local]]
        nxt = int.from_bytes(page[pos + local:pos + local + 4], "big")
        got = local
        hops = 0
        while got < size and nxt and hops <= self.count:
            over = self.page(nxt)
            if over is None:
                return None
            take = min(u - 4, size - got)
            parts.append(over[4:4 + take])
            got += take
            nxt = int.from_bytes(over[:4], "big")
            hops += 1
        out = b"".join(parts)
        return out if len(out) == size else None


def _record(payload: bytes) -> tuple:
    header_size, pos = _varint(payload, 0)
    types = []
    while pos < header_size:
        t, pos = _varint(payload, pos)
        types.append(t)
    if pos != header_size:
        raise ValueError("bad record header")
    values: list[object] = []
    body = header_size
    for t in types:
        if t == 0:
            values.append(None)
        elif 1 <= t <= 6:
            width = (1, 2, 3, 4, 6, 8)[t - 1]
            chunk = payload[body:body + width]
            if len(chunk) != width:
                raise ValueError("short record")
            values.append(int.from_bytes(chunk, "big", signed=True))
            body += width
        elif t == 7:
            values.append(struct.unpack(">d", payload[body:body + 8])[0])
            body += 8
        elif t in (8, 9):
            values.append(t - 8)
        elif t >= 12:
            n = (t - 12) // 2
            chunk = payload[body:body + n]
            if len(chunk) != n:
                raise ValueError("short record")
            values.append(chunk if t % 2 == 0 else chunk.decode("utf-8"))
            body += n
        else:
            raise ValueError("reserved serial type")
    if body != len(payload):
        raise ValueError("record size mismatch")
    return tuple(values)


# --- the salvage ----------------------------------------------------------------------------------


def _walk(pf: PageFile, root: int, seen: set[int]) -> Iterator[int]:
    """Leaf pages under `root` (pages not readable as b-tree pages are skipped)."""
    stack = [root]
    while stack:
        n = stack.pop()
        if n in seen or not 1 <= n <= pf.count:
            continue
        seen.add(n)
        kind = pf.page_type(n)
        if kind == LEAF_TABLE:
            yield n
        elif kind == INTERIOR_TABLE:
            stack.extend(pf.children(n))


def salvage(path: Path, tables: dict[str, list[Column]]) -> Salvaged:
    """Every readable row of `tables` (name -> columns of the current schema) in the file at `path`."""
    pf = PageFile(path, path.with_name(path.name + "-wal"))
    out = Salvaged(pages=pf.count, wal_frames=len(pf.wal))
    seen: set[int] = set()
    roots: dict[str, int] = {}
    others: list[int] = []  # tables this salvage does not copy (alembic_version): their pages are no orphans
    if pf.page_type(1) in (LEAF_TABLE, INTERIOR_TABLE):
        for page in _walk(pf, 1, seen):
            for _rowid, rec in pf.leaf_rows(page):
                if len(rec) == 5 and rec[0] == "table" and isinstance(rec[3], int):
                    if rec[1] in tables:
                        roots[rec[1]] = rec[3]
                    else:
                        others.append(rec[3])
    out.walked = bool(roots)
    used = set(seen)
    for root in others:
        for _page in _walk(pf, root, used):
            pass
    for name, root in roots.items():
        cols = tables[name]
        for page in _walk(pf, root, used):
            for rowid, rec in pf.leaf_rows(page):
                if fits_table(cols, rec):
                    out.rows[name][rowid] = _with_rowid(cols, rec, rowid)
    # Orphan leaf pages: matched to a table by their records' column types, rows added where new.
    free = pf.freelist()
    for n in range(1, pf.count + 1):
        if n in used or n in free:
            continue
        if pf.page_type(n) != LEAF_TABLE:
            if pf.page(n) is None or not _looks_like_btree(pf, n):
                out.bad_pages += 1 if pf.page(n) is None else 0
            continue
        records = list(pf.leaf_rows(n))
        if not records:
            out.bad_pages += 1
            continue
        votes: Counter[str] = Counter()
        for _rowid, rec in records:
            matches = [t for t, cols in tables.items() if fits_table(cols, rec)]
            if len(matches) == 1:
                votes[matches[0]] += 1
        if not votes:
            out.bad_pages += 1
            continue
        name = votes.most_common(1)[0][0]
        cols = tables[name]
        for rowid, rec in records:
            if fits_table(cols, rec):
                out.rows[name].setdefault(rowid, _with_rowid(cols, rec, rowid))
    # pages the file should have but does not (truncated) count as unreadable too
    expected = int.from_bytes(pf.header[28:32], "big") if pf.header else 0
    if expected > pf.count:
        out.bad_pages += expected - pf.count
    return out


def _looks_like_btree(pf: PageFile, n: int) -> bool:
    return pf.page_type(n) in (0x02, 0x05, 0x0A, 0x0D)


def _with_rowid(cols: list[Column], rec: tuple, rowid: int) -> tuple:
    return tuple(rowid if c.rowid_alias else v for c, v in zip(cols, rec, strict=True))
