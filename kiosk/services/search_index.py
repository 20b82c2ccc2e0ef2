"""The kiosk's search engine: guides found by pinyin, initials, 汉字, codes and typos (Qt-free).

Kept apart from kiosk/services/catalog.py, which loads what the kiosk shows from the cache and
builds one of these from it: this module knows nothing of the cache, only of the documents it is
given (IndexDoc), so it can be built and measured on its own (tests, tests/bench/kiosk_bench.py).

Residents search with the on-screen keyboard, so a query is usually pinyin (`dibao`), pinyin
initials (`db`), digits or a code, sometimes 汉字. An index is built once from the published
guides and is read-only afterwards; a content change builds a new one (Catalog.reload).

Ranking is by match tier, then by the documents' order inside a tier (the catalogue gives them
most viewed first):

    100  the name starts with the query (汉字)
     95  the query spells out a whole keyword (关键词: 低保 = db = dibao)
     90  the name's initials or full pinyin start with it
     80  the name contains it (汉字, or full pinyin from a syllable on)
     75  a keyword contains it
     70  the name's initials contain it (mid-name: `db` in 劳动保障 is a weak hint)
     60  the guide code or the English name
     50  an application material's name (申请材料)
    <40  typo-tolerant (rapidfuzz) match on the pinyin of names and keywords; for 汉字
         queries first their pinyin (a homophone typed by mistake: 居住正 -> 居住证)

Each tier looks up sorted keys (names, their pinyin and initials, and the suffixes of those that
start at a syllable) by bisection, so a keystroke costs a few dozen comparisons however many
guides there are; only the results a screen can show are then examined in Python (highlights).
"""

from __future__ import annotations

import gc
import heapq
import re
import unicodedata
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz, process

from kiosk.services import pinyin
from kiosk.services.catalog_items import GuideSummary

MAX_QUERY_CHARS = 40  # longer input is cut: no guide name is longer, and it keeps search bounded
DEFAULT_LIMIT = 30
FUZZY_MIN_CHARS = 3
FUZZY_CUTOFF = 78.0
FUZZY_MAX_HITS = 10  # "did you mean": a few close guesses, not a page of noise
FUZZY_WHEN_FEWER = 5  # typo matching only helps when the exact tiers found (almost) nothing

Span = tuple[int, int]  # [start, end) character offsets into a displayed string


# --- search results ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchHit:
    guide: GuideSummary
    score: int
    field: str  # name, keyword, code, name_en, material, fuzzy
    text: str  # the matched keyword / material / code (equal to the name for name matches)
    spans: tuple[Span, ...]  # highlight inside `text`
    name_spans: tuple[Span, ...]  # highlight inside guide.name (empty if the name did not match)


@dataclass(frozen=True)
class SearchResult:
    query: str  # the normalised query actually searched
    hits: tuple[SearchHit, ...]
    more: bool  # more guides matched than `limit`


# --- text to searchable forms -----------------------------------------------------------------


def is_hanzi(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" or ch == "〇"


def normalize_query(text: str) -> str:
    """Full-width to half-width, lower case, only 汉字/letters/digits kept, at most 40 chars.

    Spaces and apostrophes go (`di bao`, `di'bao` == `dibao`), emoji and symbols go.
    """
    text = unicodedata.normalize("NFKC", text or "")[: MAX_QUERY_CHARS * 4].lower()
    kept = [ch for ch in text if is_hanzi(ch) or ("a" <= ch <= "z") or ("0" <= ch <= "9")]
    return "".join(kept)[:MAX_QUERY_CHARS]


@dataclass(frozen=True)
class Spelled:
    """A text and its pinyin, with maps from pinyin offsets back to characters."""

    text: str  # normalised (NFKC, lower) with the same length as the original
    full: str  # 最低生活保障 -> zuidishenghuobaozhang
    full_map: tuple[int, ...]  # full[i] comes from text[full_map[i]]
    starts: tuple[int, ...]  # offsets in `full` where a syllable / character starts
    initials: str  # zdshbz (one letter per character that has one)
    initials_map: tuple[int, ...]


def _char_norm(ch: str) -> str:
    n = unicodedata.normalize("NFKC", ch).lower()
    return n if len(n) == 1 else ch.lower()


def normalize_text(text: str) -> str:
    """Character by character NFKC and lower case, keeping the length (highlight offsets)."""
    return "".join(_char_norm(ch) for ch in text)


@lru_cache(maxsize=4096)
def spell(text: str) -> Spelled:
    norm = normalize_text(text)
    sylls = pinyin.syllables(norm)
    full: list[str] = []
    full_map: list[int] = []
    starts: list[int] = []
    initials: list[str] = []
    initials_map: list[int] = []
    for i, (ch, syl) in enumerate(zip(norm, sylls, strict=True)):
        syl = syl.lower() if is_hanzi(ch) else ch
        if not (syl.isascii() and syl.isalnum()):
            continue  # punctuation and spaces are not typed
        starts.append(len(full))
        full.append(syl)
        full_map.extend([i] * len(syl))
        initials.append(syl[0])
        initials_map.append(i)
    return Spelled(norm, "".join(full), tuple(full_map), tuple(starts), "".join(initials), tuple(initials_map))


def match_spans(sp: Spelled, query: str) -> tuple[Span, ...]:
    """Where `query` (normalised) matches this text: as 汉字/Latin text, initials or pinyin."""
    if not query:
        return ()
    pos = sp.text.find(query)
    if pos >= 0:
        return ((pos, pos + len(query)),)
    if any(is_hanzi(ch) for ch in query):
        return ()
    pos = sp.initials.find(query)
    if pos >= 0:
        return _merge(sp.initials_map[pos + k] for k in range(len(query)))
    for start in sp.starts:
        if sp.full.startswith(query, start):
            return _merge(sp.full_map[start + k] for k in range(len(query)))
    return ()


def _merge(chars: Iterable[int]) -> tuple[Span, ...]:
    spans: list[list[int]] = []
    for i in sorted(set(chars)):
        if spans and spans[-1][1] == i:
            spans[-1][1] = i + 1
        else:
            spans.append([i, i + 1])
    return tuple((a, b) for a, b in spans)


# --- the index --------------------------------------------------------------------------------


_CONTROL = re.compile(r"[\x00-\x1f]")


class _Haystack:
    """Keys that each belong to one document, sorted so that every key starting with a query
    forms one contiguous range, found by bisection (a small suffix array).

    A line is added with the offsets where a match may start: (0,) for "starts with", every
    character for "contains", every syllable start for pinyin. All lines live in one string;
    the sorted array holds offsets into it, so the index costs a few bytes per key.
    """

    def __init__(self) -> None:
        self._pending: list[tuple[str, int, Sequence[int]]] = []
        self.big = ""
        self.pos = array("i")
        self.owners = array("i")

    def add(self, line: str, owner: int, starts: Sequence[int] = (0,)) -> None:
        # Control characters sort below the "\n" that ends each line; keep them out.
        line = _CONTROL.sub(" ", line)
        if line:
            self._pending.append((line, owner, starts))

    def freeze(self) -> None:
        parts: list[str] = []
        entries: list[tuple[int, int, int]] = []  # (offset, end of line, owner)
        offset = 0
        for line, owner, starts in self._pending:
            parts.append(line)
            end = offset + len(line)
            entries.extend((offset + k, end, owner) for k in starts if 0 <= k < len(line))
            offset = end + 1
        self.big = "\n".join(parts) + "\n"
        big = self.big
        entries.sort(key=lambda e: big[e[0]:e[1]])
        self.pos = array("i", (e[0] for e in entries))
        self.owners = array("i", (e[2] for e in entries))
        self._pending = []

    def find(self, query: str, *, want: int, skip: frozenset[int] = frozenset()) -> list[int]:
        """The first `want` owners (in document order) with a key starting with `query`."""
        if not query or not self.pos:
            return []
        big, m = self.big, len(query)

        def key(p: int) -> str:
            return big[p:p + m]

        lo = bisect_left(self.pos, query, key=key)
        upper = query[:-1] + chr(ord(query[-1]) + 1)
        hi = bisect_left(self.pos, upper, lo=lo, key=key)
        if lo >= hi:
            return []
        docs = set(self.owners[lo:hi])
        docs.difference_update(skip)
        return sorted(docs) if len(docs) <= want else heapq.nsmallest(want, docs)


def _every(text: str) -> range:
    return range(len(text))


@dataclass
class IndexDoc:
    guide: GuideSummary
    keywords: Sequence[str] = ()
    materials: Sequence[str] = ()


@dataclass
class _Tier:
    score: int
    field: str
    searches: list[_Haystack] = field(default_factory=list)
    hanzi_ok: bool = True  # False: pinyin-only haystacks, skipped for 汉字 queries
    vocab: _Vocab | None = None
    whole: bool = False


class _Vocab:
    """Words many guides share (keywords, material names): each word is searched once, then
    its guides are merged in document order. Real catalogues repeat 身份证 hundreds of times."""

    def __init__(self) -> None:
        self._owners: dict[str, list[int]] = {}
        self.words: list[str] = []
        self.owners: list[array] = []
        self.text, self.ini, self.full = _Haystack(), _Haystack(), _Haystack()
        self.whole: dict[str, list[int]] = {}  # 低保 / db / dibao -> the word 低保

    def add(self, word: str, doc: int) -> None:
        _add_owner(self._owners, word.strip(), doc)

    def freeze(self) -> None:
        self.words = list(self._owners)
        self.owners = [array("i", self._owners[w]) for w in self.words]
        self._owners = {}
        for wid, word in enumerate(self.words):
            sp = spell(word)
            for form in {normalize_query(sp.text), sp.initials, sp.full}:
                if form:
                    self.whole.setdefault(form, []).append(wid)
            self.text.add(sp.text, wid, _every(sp.text))
            self.ini.add(sp.initials, wid, _every(sp.initials))
            self.full.add(sp.full, wid, sp.starts)
        for h in (self.text, self.ini, self.full):
            h.freeze()

    def find(self, query: str, *, hanzi: bool, want: int, skip: frozenset[int], whole: bool = False) -> list[int]:
        """Guides with a word containing `query` (or, with `whole`, a word it spells out entirely)."""
        if whole:
            wids = set(self.whole.get(query, ()))
        else:
            every = len(self.words) + 1
            wids = set(self.text.find(query, want=every))
            if not hanzi:
                wids.update(self.ini.find(query, want=every))
                wids.update(self.full.find(query, want=every))
        found: list[int] = []
        last = -1
        for doc in heapq.merge(*(self.owners[w] for w in sorted(wids))):
            if doc != last and doc not in skip:
                found.append(doc)
                if len(found) >= want:
                    break
            last = doc
        return found


class _Fuzzy:
    """Typo-tolerant lookup: keys sorted by length so only keys that could reach the cutoff
    are scored (an edit-distance ratio cannot exceed what the length difference allows)."""

    def __init__(self, keys: dict[str, list[int]]):
        ordered = sorted(keys, key=len)
        self.keys = ordered
        self.lengths = [len(k) for k in ordered]
        self.owners = [keys[k] for k in ordered]

    def find(self, query: str, cutoff: float, want: int, skip: frozenset[int]) -> list[tuple[int, float]]:
        a = len(query)
        lo = bisect_left(self.lengths, int(a * cutoff / (200 - cutoff)))
        hi = bisect_right(self.lengths, int(a * (200 - cutoff) / cutoff) + 1)
        matches = process.extract(query, self.keys[lo:hi], scorer=fuzz.ratio, processor=None,
                                  score_cutoff=cutoff, limit=want * 3 + 10)
        best: dict[int, float] = {}
        for _key, score, idx in matches:
            for doc in self.owners[lo + idx]:
                if doc not in skip and score > best.get(doc, -1):
                    best[doc] = score
        return sorted(best.items(), key=lambda item: (-item[1], item[0]))[:want]


class SearchIndex:
    """Built once from the published guides, ordered by popularity; then read-only."""

    def __init__(self, docs: Sequence[IndexDoc], *, pinyin_process: bool = False):
        """`pinyin_process`: spell everything in a helper process first (saves ~55 MB here)."""
        self.docs = list(docs)
        if pinyin_process:
            texts = {normalize_text(t) for d in self.docs for t in (d.guide.name, *d.keywords, *d.materials)}
            pinyin.spell_in_subprocess(sorted(texts))
        hs = {name: _Haystack() for name in ("name_text", "name_ini", "name_full", "name_text_any",
                                             "name_ini_any", "name_full_any", "code", "en")}
        self._keywords, self._materials = _Vocab(), _Vocab()
        fuzzy_latin: dict[str, list[int]] = {}
        fuzzy_hanzi: dict[str, list[int]] = {}
        self._spelled_names: list[Spelled] = []
        for i, doc in enumerate(self.docs):
            sp = spell(doc.guide.name)
            self._spelled_names.append(sp)
            hs["name_text"].add(sp.text, i)
            hs["name_ini"].add(sp.initials, i)
            hs["name_full"].add(sp.full, i)
            hs["name_text_any"].add(sp.text, i, range(1, len(sp.text)))
            hs["name_ini_any"].add(sp.initials, i, range(1, len(sp.initials)))
            hs["name_full_any"].add(sp.full, i, sp.starts[1:])
            _add_fuzzy_keys(fuzzy_latin, fuzzy_hanzi, sp, i)
            for kw in doc.keywords:
                self._keywords.add(kw, i)
                ks = spell(kw)
                _add_owner(fuzzy_latin, ks.full, i)
                _add_owner(fuzzy_hanzi, ks.text, i)
            hs["code"].add(normalize_query(doc.guide.code), i)
            for word in re.findall(r"[a-z0-9]+", doc.guide.name_en.lower()):
                hs["en"].add(word, i)
            for mat in doc.materials:
                self._materials.add(mat, i)
        for h in hs.values():
            h.freeze()
        self._keywords.freeze()
        self._materials.freeze()
        self._english = hs["en"]
        self._tiers = [
            _Tier(100, "name", [hs["name_text"]]),
            _Tier(95, "keyword", vocab=self._keywords, whole=True),  # staff chose it as a synonym
            _Tier(90, "name", [hs["name_ini"], hs["name_full"]], hanzi_ok=False),
            _Tier(80, "name", [hs["name_text_any"], hs["name_full_any"]]),
            _Tier(75, "keyword", vocab=self._keywords),
            _Tier(70, "name", [hs["name_ini_any"]], hanzi_ok=False),  # initials mid-name: weakest
            _Tier(60, "code", [hs["code"]], hanzi_ok=False),
            _Tier(60, "name_en", [hs["en"]], hanzi_ok=False),
            _Tier(50, "material", vocab=self._materials),
        ]
        self._fuzzy_latin = _Fuzzy(fuzzy_latin)
        self._fuzzy_hanzi = _Fuzzy(fuzzy_hanzi)
        process.extractOne("warm", ["up"], scorer=fuzz.ratio)  # rapidfuzz's first call sets itself up

    def __len__(self) -> int:
        return len(self.docs)

    def search(self, text: str, limit: int = DEFAULT_LIMIT) -> SearchResult:
        query = normalize_query(text)
        if not query or limit <= 0:
            return SearchResult(query, (), False)
        hanzi = any(is_hanzi(ch) for ch in query)
        taken: dict[int, tuple[int, str, str]] = {}  # doc -> (score, field, query used), in rank order
        want = limit + 1  # one extra tells whether there is more
        words = english_words(text)
        if len(words) > 1 and not hanzi:  # "residence permit": every word begins a word of the English name
            found = set(self._english.find(words[0], want=len(self.docs)))
            for word in words[1:]:
                found.intersection_update(self._english.find(word, want=len(self.docs)))
            for doc in sorted(found)[:want]:
                taken[doc] = (65, "name_en", " ".join(words))
        self._exact(query, hanzi, taken, want, penalty=0)
        if hanzi and len(taken) < FUZZY_WHEN_FEWER:
            # A wrong 汉字 typed with a pinyin IME is usually a homophone (居住正 for 居住证):
            # search the query's pinyin too, ranked below the exact matches.
            sounds = spell(query).full
            if sounds and len(sounds) >= FUZZY_MIN_CHARS:
                self._exact(sounds, False, taken, want, penalty=45)
        if len(taken) < FUZZY_WHEN_FEWER and len(query) >= (3 if hanzi else FUZZY_MIN_CHARS):
            fuzzy, cutoff = (self._fuzzy_hanzi, 60.0) if hanzi else (
                self._fuzzy_latin, FUZZY_CUTOFF if len(query) >= 5 else 85.0)
            room = min(want - len(taken), FUZZY_MAX_HITS)
            for doc, score in fuzzy.find(query, cutoff, room, frozenset(taken)):
                taken[doc] = (int(score * 0.4), "fuzzy", query)
        ordered = list(taken.items())
        hits = tuple(self._hit(doc, score, fld, q) for doc, (score, fld, q) in ordered[:limit])
        return SearchResult(query, hits, len(ordered) > limit)

    def _exact(self, query: str, hanzi: bool, taken: dict[int, tuple[int, str, str]], want: int,
               penalty: int) -> None:
        for tier in self._tiers:
            if len(taken) >= want:
                return
            if hanzi and not tier.hanzi_ok:
                continue
            skip = frozenset(taken)
            room = want - len(taken)
            merged: set[int] = set()
            if tier.vocab is not None:
                merged.update(tier.vocab.find(query, hanzi=hanzi, want=room, skip=skip, whole=tier.whole))
            for hay in tier.searches:
                merged.update(hay.find(query, want=room, skip=skip))
            for doc in sorted(merged)[:room]:
                taken[doc] = (tier.score - penalty, tier.field, query)

    def _hit(self, doc: int, score: int, fld: str, query: str) -> SearchHit:
        d = self.docs[doc]
        name_sp = self._spelled_names[doc]
        name_spans = match_spans(name_sp, query)
        if fld == "name" or (name_spans and fld != "fuzzy"):
            return SearchHit(d.guide, score, "name", d.guide.name, name_spans, name_spans)
        candidates: dict[str, Sequence[str]] = {
            "keyword": d.keywords, "material": d.materials, "code": [d.guide.code],
            "name_en": [d.guide.name_en]}
        if fld == "name_en":
            words = d.guide.name_en
            chars: list[int] = []
            for part in query.split(" "):  # several words from the English search
                pos = _word_prefix(words.lower(), part)
                if pos >= 0:
                    chars.extend(range(pos, pos + len(part)))
            return SearchHit(d.guide, score, fld, words, _merge(chars), ())
        if fld == "fuzzy":
            return self._fuzzy_hit(d, name_sp, score, query)
        for text in candidates.get(fld, ()):
            spans = match_spans(spell(text), query)
            if spans:
                return SearchHit(d.guide, score, fld, text, spans, ())
        return SearchHit(d.guide, score, fld, d.guide.name, (), ())

    def _fuzzy_hit(self, d: IndexDoc, name_sp: Spelled, score: int, query: str) -> SearchHit:
        best: tuple[float, str, tuple[Span, ...], bool] = (-1.0, d.guide.name, (), True)
        hanzi = any(is_hanzi(c) for c in query)
        for text, is_name in [(d.guide.name, True), *((k, False) for k in d.keywords)]:
            sp = name_sp if is_name else spell(text)
            target, cmap = (sp.text, None) if hanzi else (sp.full, sp.full_map)
            if not target:
                continue
            al = fuzz.partial_ratio_alignment(query, target, processor=None)
            if al is None or al.score <= best[0]:
                continue
            end = min(al.dest_end, len(target))
            chars = range(al.dest_start, end) if cmap is None else (cmap[k] for k in range(al.dest_start, end))
            best = (al.score, text, _merge(chars), is_name)
        _, text, spans, is_name = best
        return SearchHit(d.guide, score, "fuzzy", text, spans, spans if is_name else ())


def _add_owner(keys: dict[str, list[int]], key: str, doc: int) -> None:
    if key:
        owners = keys.setdefault(key, [])
        if not owners or owners[-1] != doc:
            owners.append(doc)


def _add_fuzzy_keys(latin: dict[str, list[int]], hanzi: dict[str, list[int]], sp: Spelled, doc: int) -> None:
    """The whole name and every run of 2–4 of its syllables / characters."""
    _add_owner(latin, sp.full, doc)
    _add_owner(hanzi, sp.text, doc)
    starts = [*sp.starts, len(sp.full)]
    count = len(sp.starts)
    for n in (2, 3, 4):
        for k in range(count - n + 1):
            _add_owner(latin, sp.full[starts[k]:starts[k + n]], doc)
    chars = [sp.text[i] for i in sp.initials_map]
    for n in (2, 3, 4):
        for k in range(len(chars) - n + 1):
            _add_owner(hanzi, "".join(chars[k:k + n]), doc)


def english_words(text: str) -> list[str]:
    """The latin words of a query typed with spaces ("Residence  permit" -> ["residence", "permit"])."""
    text = unicodedata.normalize("NFKC", text or "")[: MAX_QUERY_CHARS * 4].lower()
    return re.findall(r"[a-z0-9]+", text)[:8]


def _word_prefix(text: str, query: str) -> int:
    for m in re.finditer(r"[a-z0-9]+", text):
        if m.group().startswith(query):
            return m.start()
    return -1



def settle_garbage_collector() -> None:
    """Move everything alive now (the index, the loaded modules) out of the cyclic collector's
    sight: a full collection walking a big index could stall a keystroke by milliseconds.
    Frozen objects are still freed normally when their last reference goes."""
    gc.freeze()
