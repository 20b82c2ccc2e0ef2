"""Pinyin input (拼音输入): letters typed on the kiosk keyboard -> 汉字 candidates, most used first.

The search already understands pinyin; this is for residents who want to see (and pick) the
characters they mean. Tables in assets/pinyin (made by make_candidates.py there from wordfreq's
frequencies and pypinyin's readings; ~0.3 MB, loaded once) give each syllable's characters and
the common words. The hall's own guide vocabulary (names, keywords: `learn`) comes first, so
`dibao` offers 低保 before anything else.

    engine = PinyinInput.load()
    engine.learn(["最低生活保障", "低保"])
    [c.text for c in engine.candidates("dibao")[:3]]   -> ["低保", "地", "第"]
    engine.candidates("dibao")[0].consumed             -> 5 (letters the candidate replaces)

Letters are split into syllables greedily (longest valid syllable first); the last one may be
unfinished ("shenf" -> shen + f...). Initials work for words: "sfz" -> 身份证.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from kiosk.config import ASSETS

TABLES = ASSETS / "pinyin"
LIMIT = 24
MAX_LETTERS = 30  # longer input is not a word anyone writes: candidates for its first syllable only


@dataclass(frozen=True)
class Candidate:
    text: str  # 汉字
    consumed: int  # how many typed letters (from the start of the pinyin) it replaces


def _read_chars(path: Path) -> dict[str, tuple[tuple[str, float], ...]]:
    table = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        syl, _, rest = line.partition("\t")
        items = []
        for item in rest.split(" "):
            ch, _, freq = item.rpartition(":")
            items.append((ch, float(freq)))
        table[syl] = tuple(items)
    return table


def _read_words(path: Path) -> list[tuple[str, tuple[str, ...], float]]:
    words = []
    syllables: dict[str, str] = {}  # one string object per syllable, shared by every word
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        word, sylls, freq = line.split("\t")
        words.append((word, tuple(syllables.setdefault(s, s) for s in sylls.split(" ")), float(freq)))
    return words


class PinyinInput:
    def __init__(self, chars: dict[str, tuple[tuple[str, float], ...]],
                 words: list[tuple[str, tuple[str, ...], float]]):
        # Characters as one string per syllable, most used first: a few bytes each, not a
        # tuple per character (the kiosk keeps this all day).
        self.chars: dict[str, str] = {syl: "".join(ch for ch, _ in found) for syl, found in chars.items()}
        self.syllables = frozenset(chars)
        self.max_syllable = max(map(len, chars))
        self._prefixes = frozenset(s[:i] for s in chars for i in range(1, len(s) + 1))
        # An unfinished syllable ("zh") or a short one ("a") offers the characters of every
        # syllable it begins, each at its best frequency: merged once here, so no keystroke pays
        # for it; only the first LIMIT are kept (no more are ever shown).
        self._by_prefix: dict[str, str] = {}
        for prefix in self._prefixes:
            best: dict[str, float] = {}
            for syl in chars:
                if syl.startswith(prefix):
                    for ch, freq in chars[syl]:
                        if freq > best.get(ch, -1.0):
                            best[ch] = freq
            self._by_prefix[prefix] = "".join(sorted(best, key=lambda c: (-best[c], c))[:LIMIT * 2])
        # Words indexed by their first syllable and by their initials ("sfz").
        self._words: dict[str, list[tuple[str, tuple[str, ...], float]]] = {}
        for word in words:
            self._add_word(word)
        self._guide: dict[str, float] = {}  # 汉字 -> uses in the hall's guides
        self._guide_words: dict[str, tuple[str, ...]] = {}
        self._lock = threading.Lock()
        self._cached = lru_cache(maxsize=512)(self._compute)

    @classmethod
    def load(cls, tables: Path = TABLES) -> PinyinInput:
        chars, words = tables / "chars.tsv", tables / "words.tsv"
        for path in (chars, words):
            if not path.is_file():
                raise FileNotFoundError(f"pinyin table missing: {path} (made by assets/pinyin/make_candidates.py)")
        return cls(_read_chars(chars), _read_words(words))

    def _add_word(self, word: tuple[str, tuple[str, ...], float]) -> None:
        self._words.setdefault(word[1][0], []).append(word)
        self._words.setdefault("".join(s[0] for s in word[1]), []).append(word)

    # -- the hall's vocabulary -----------------------------------------------------------------

    def learn(self, texts: list[str], spell=None) -> None:  # type: ignore[no-untyped-def]
        """Put the characters and words of the hall's guides first. `spell(text)` gives one
        syllable per character; the default is the search index's own spelling, already made
        for these texts (so pypinyin is not loaded into the kiosk for it)."""
        if spell is None:
            from kiosk.services.pinyin import syllables
            from kiosk.services.search_index import normalize_text

            def spell(text: str) -> list[str]:
                return syllables(normalize_text(text))
        with self._lock:
            for text in texts:
                sylls = [s.lower() for s in spell(text)]
                if len(sylls) != len(text):
                    continue
                run: list[tuple[str, str]] = []  # a run of 汉字 with their syllables: one word
                for ch, syl in [*zip(text, sylls, strict=True), ("", "")]:
                    if "\u4e00" <= ch <= "\u9fff" and syl in self.syllables:
                        self._guide[ch] = self._guide.get(ch, 0) + 1
                        run.append((ch, syl))
                        continue
                    word = "".join(c for c, _ in run)
                    if 2 <= len(run) <= 8 and word not in self._guide_words:
                        self._guide_words[word] = tuple(s for _, s in run)
                        self._add_word((word, self._guide_words[word], float("inf")))
                    run = []
            self._cached.cache_clear()

    # -- candidates ----------------------------------------------------------------------------

    def split(self, letters: str) -> list[str]:
        """Greedy syllables; the last may be an unfinished prefix ("dib" -> ["di", "b"])."""
        out, i = [], 0
        while i < len(letters):
            for n in range(min(self.max_syllable, len(letters) - i), 0, -1):
                piece = letters[i:i + n]
                if piece in self.syllables or (i + n == len(letters) and piece in self._prefixes):
                    # "xian" could be xi+an; the common reading is the longer one, as other IMEs do.
                    out.append(piece)
                    i += n
                    break
            else:
                out.append(letters[i])  # not pinyin ("v" alone, a typo): a one-letter piece
                i += 1
        return out

    def candidates(self, letters: str, limit: int = LIMIT) -> list[Candidate]:
        letters = "".join(ch for ch in letters.lower() if "a" <= ch <= "z")[:MAX_LETTERS]
        if not letters:
            return []
        return list(self._cached(letters))[:limit]

    def _compute(self, letters: str) -> tuple[Candidate, ...]:
        pieces = self.split(letters)
        out: list[Candidate] = []
        seen: set[str] = set()

        def add(text: str, consumed: int) -> None:
            if text not in seen and len(out) < LIMIT:
                seen.add(text)
                out.append(Candidate(text, consumed))

        # Whole words first: the typed syllables (the last may be unfinished) or initials.
        words = []
        for word, sylls, freq in self._words.get(pieces[0], []) + self._words.get(letters, []):
            if self._word_matches(pieces, letters, sylls):
                words.append((word, freq))
        # Guide words (freq inf) first, then the most used; longer matches before shorter.
        for word, _ in sorted(words, key=lambda w: (-w[1], w[0])):
            add(word, len(letters))
        # Then the characters of the first syllable (all syllables it begins, if unfinished).
        first = pieces[0]
        consumed = len(first)
        # A whole syllable's own characters, then those of longer syllables it begins (a: ai, an).
        chars = self.chars.get(first, "") + self._by_prefix.get(first, "")
        guide = self._guide
        for ch in chars:  # the hall's own characters first, each group most used first
            if ch in guide:
                add(ch, consumed)
        for ch in chars:
            if len(out) >= LIMIT:
                break
            add(ch, consumed)
        return tuple(out)

    def _word_matches(self, pieces: list[str], letters: str, sylls: tuple[str, ...]) -> bool:
        # Initials ("sfz") only where the letters are not whole syllables already ("de" is 的).
        if (len(pieces) > 1 and not all(p in self.syllables for p in pieces)
                and "".join(s[0] for s in sylls) == letters):
            return True
        if len(pieces) != len(sylls):
            return False
        *whole, last = pieces
        return list(sylls[:-1]) == whole and sylls[-1].startswith(last)


_shared: PinyinInput | None = None
_shared_lock = threading.Lock()


def shared_input() -> PinyinInput:
    """The kiosk's one engine, loaded on first use (~50 ms)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            from kiosk.services.search_index import settle_garbage_collector

            _shared = PinyinInput.load()
            settle_garbage_collector()  # its 20,000 entries out of the collector's walks, as the index's
        return _shared
