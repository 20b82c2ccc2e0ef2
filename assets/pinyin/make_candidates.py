"""Make the pinyin input's tables from word frequencies (wordfreq) and readings (pypinyin).

    .venv/bin/pip install wordfreq        (only to make the tables: the `pinyin-tables` extra)
    .venv/bin/python assets/pinyin/make_candidates.py

- chars.tsv: for each toneless syllable, the GB2312 characters read that way, most used first,
  with how often per million words each is used with that reading ("的" read "de" is counted,
  "的" read "di" in 目的 is counted under "di").
- words.tsv: the WORDS most used words of two to four characters, with their syllables, for
  whole-word candidates (shenfenzheng -> 身份证).

Frequencies are wordfreq's Chinese list (subtitles, Wikipedia, news, web text: see its
README); readings are pypinyin's, phrase-aware. Made once and committed, so the kiosk loads
~300 kB instead of two large libraries; at run time `kiosk.services.pinyin_input` puts the
hall's own guide vocabulary first.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

from pypinyin import lazy_pinyin
from wordfreq import get_frequency_dict

HERE = Path(__file__).resolve().parent
WORDS = 12000
HAN = re.compile(r"^[\u4e00-\u9fff]+$")


def in_gb2312(ch: str) -> bool:
    try:
        raw = ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return len(raw) == 2 and raw[0] >= 0xB0


def toneless(syllable: str) -> str:
    return syllable.replace("ü", "v").lower()


def build() -> tuple[dict[str, list[tuple[str, float]]], list[tuple[str, list[str], float]]]:
    uses: dict[tuple[str, str], float] = defaultdict(float)
    words: list[tuple[str, list[str], float]] = []
    for word, freq in get_frequency_dict("zh", wordlist="best").items():
        if not HAN.match(word) or not all(in_gb2312(ch) for ch in word):
            continue
        sylls = [toneless(s) for s in lazy_pinyin(word, v_to_u=False)]
        if len(sylls) != len(word) or not all(s.isascii() and s.isalpha() for s in sylls):
            continue
        for ch, syl in zip(word, sylls, strict=True):
            uses[(ch, syl)] += freq
        if 2 <= len(word) <= 4 and len(words) < WORDS:
            words.append((word, sylls, freq))
    # Characters no counted word uses still get their dictionary readings, at the end.
    from pypinyin import Style
    from pypinyin.pinyin_dict import pinyin_dict
    from pypinyin.style import convert

    for code, readings in pinyin_dict.items():
        ch = chr(code)
        if not in_gb2312(ch):
            continue
        for reading in readings.split(","):
            syl = toneless(convert(reading, Style.NORMAL, strict=False))
            if syl.isascii() and syl.isalpha():
                uses.setdefault((ch, syl), 0.0)
    by_syllable: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for (ch, syl), freq in uses.items():
        by_syllable[syl].append((ch, freq))
    chars = {syl: sorted(found, key=lambda c: (-c[1], c[0])) for syl, found in sorted(by_syllable.items())}
    return chars, words


def per_million(freq: float) -> str:
    return f"{freq * 1e6:.3g}"


def main() -> None:
    chars, words = build()
    head = "# made by make_candidates.py from wordfreq (frequencies) and pypinyin (readings); do not edit\n"
    (HERE / "chars.tsv").write_text(
        head + "".join(f"{syl}\t" + " ".join(f"{ch}:{per_million(f)}" for ch, f in found) + "\n"
                       for syl, found in chars.items()), encoding="utf-8")
    (HERE / "words.tsv").write_text(
        head + "".join(f"{w}\t{' '.join(s)}\t{per_million(f)}\n" for w, s, f in words), encoding="utf-8")
    print(f"wrote {len(chars)} syllables and {len(words)} words into {HERE}")


if __name__ == "__main__":
    main()
