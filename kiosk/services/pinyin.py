"""Pinyin syllables for the search index, one per character, from pypinyin (phrase-aware:
银行 -> yin hang, 长者 -> zhang zhe).

pypinyin's phrase dictionaries cost ~55 MB of memory and ~0.5 s to load. The kiosk runs all
day on modest PCs, so it can ask a short-lived helper process instead (`spell_in_subprocess`):
the helper loads pypinyin, spells every name, keyword and material, prints JSON and exits.
Whatever it spelled is remembered here, plus each character's reading for new text; only text
with characters never seen before falls back to loading pypinyin in-process.

    echo '["最低生活保障"]' | python -m kiosk.services.pinyin   ->   [["zui","di","sheng","huo","bao","zhang"]]
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading

log = logging.getLogger(__name__)

_known: dict[str, list[str]] = {}  # normalised text -> one syllable (or the character) per char
_chars: dict[str, str] = {}  # 汉字 -> its reading where it was last seen
_lock = threading.Lock()


def syllables_inline(texts: list[str]) -> list[list[str]]:
    from pypinyin import lazy_pinyin

    out = []
    for text in texts:
        sylls = lazy_pinyin(text, errors=lambda s: list(s))
        if len(sylls) != len(text):  # pypinyin grouped something unexpectedly: char by char
            sylls = [lazy_pinyin(ch, errors=lambda s: list(s))[0] for ch in text]
        out.append([s.lower() for s in sylls])
    return out


def remember(texts: list[str], spelled: list[list[str]]) -> None:
    with _lock:
        for text, sylls in zip(texts, spelled, strict=True):
            if len(sylls) != len(text):
                continue
            _known[text] = sylls
            for ch, syl in zip(text, sylls, strict=True):
                if ch != syl:
                    _chars[ch] = syl


def spell_in_subprocess(texts: list[str], timeout_s: float = 120.0) -> bool:
    """Spell `texts` in a helper process and remember the result; False if that failed."""
    todo = sorted({t for t in texts if t and t not in _known})
    if not todo:
        return True
    try:
        done = subprocess.run([sys.executable, "-m", "kiosk.services.pinyin"], input=json.dumps(todo),
                              capture_output=True, text=True, encoding="utf-8", timeout=timeout_s, check=True)
        spelled = json.loads(done.stdout)
        remember(todo, spelled)
        return True
    except (OSError, subprocess.SubprocessError, ValueError) as exc:
        log.warning("pinyin helper process failed (%s); spelling in this process", exc)
        return False


def syllables(text: str) -> list[str]:
    """One syllable (or the character itself) per character of a normalised text."""
    found = _known.get(text)
    if found is not None:
        return found
    if all(ch in _chars or not ("\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff") for ch in text):
        return [_chars.get(ch, ch) for ch in text]
    result = syllables_inline([text])[0]
    remember([text], [result])
    return result


def main() -> None:
    texts = json.loads(sys.stdin.read())
    if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        raise SystemExit("expected a JSON list of strings on stdin")
    sys.stdout.write(json.dumps(syllables_inline(texts), ensure_ascii=False))


if __name__ == "__main__":
    main()
