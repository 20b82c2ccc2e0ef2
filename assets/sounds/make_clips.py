"""Dev-time generator of the voice-call clips in this folder (not needed to run Yizhan).

    apt-get install espeak-ng      # GPL-3.0 program; its output audio is ours to ship
    .venv/bin/python assets/sounds/make_clips.py

Mandarin is spoken from pinyin (voice cmn-latn-pinyin): Debian's espeak-ng has no full
Chinese character dictionary, so characters like 请 or 窗 would be spelled out; pinyin is
reliable. Letters use the cmn voice (Latin letters read as in English, as halls say them).
The chime is synthesised here. Every clip is trimmed of leading/trailing silence so joined
calls sound continuous. Output: 22050 Hz mono 16-bit WAV.
"""

from __future__ import annotations

import math
import struct
import subprocess
import tempfile
import wave
from pathlib import Path

HERE = Path(__file__).resolve().parent
RATE = 22050
PINYIN = {
    "qing": "qing3", "hao": "hao4", "dao": "dao4", "chuangkou_banli": "hao4 chuang1 kou3 ban4 li3",
    "shi": "shi2", "d0": "ling2", "d1": "yi1", "d2": "er4", "d3": "san1", "d4": "si4", "d5": "wu3",
    "d6": "liu4", "d7": "qi1", "d8": "ba1", "d9": "jiu3",
}


def speak(text: str, voice: str, out: Path) -> None:
    with tempfile.NamedTemporaryFile(suffix=".wav") as tmp:
        subprocess.run(["espeak-ng", "-v", voice, "-s", "140", "-w", tmp.name, text], check=True,
                       stderr=subprocess.DEVNULL)
        with wave.open(tmp.name) as w:
            assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, RATE)
            frames = w.readframes(w.getnframes())
    write(out, trim(frames))


def trim(frames: bytes, threshold: int = 300) -> bytes:
    samples = struct.unpack(f"<{len(frames) // 2}h", frames)
    loud = [i for i, s in enumerate(samples) if abs(s) > threshold]
    if not loud:
        return frames
    start, end = max(0, loud[0] - 200), min(len(samples), loud[-1] + 400)
    part = samples[start:end]
    gain = 26000 / max(1, max(abs(s) for s in part))  # same loudness for every clip, no clipping
    return struct.pack(f"<{len(part)}h", *(max(-32768, min(32767, int(s * gain))) for s in part))


def write(path: Path, frames: bytes) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(frames)


def chime() -> bytes:
    """Ding-dong: two bell-like tones with a soft decay."""
    out = []
    for freq, dur in ((880.0, 0.45), (659.25, 0.7)):
        n = int(RATE * dur)
        for i in range(n):
            t = i / RATE
            env = math.exp(-3.5 * t / dur) * min(1.0, i / 200)
            v = env * (0.6 * math.sin(2 * math.pi * freq * t) + 0.2 * math.sin(4 * math.pi * freq * t))
            out.append(int(v * 20000))
    return struct.pack(f"<{len(out)}h", *out)


def main() -> None:
    for name, pinyin in PINYIN.items():
        speak(pinyin, "cmn-latn-pinyin", HERE / f"{name}.wav")
    for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        speak(letter, "cmn", HERE / f"letter_{letter}.wav")
    write(HERE / "chime.wav", chime())
    print(f"wrote {len(PINYIN) + 27} clips to {HERE}")


if __name__ == "__main__":
    main()
