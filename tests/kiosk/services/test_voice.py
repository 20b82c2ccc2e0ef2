"""The voice call: clips joined per call, played one after another by a real subprocess player."""

from __future__ import annotations

import stat
import sys
import wave

import pytest

from kiosk.config import VoiceSection
from kiosk.services.voice import SOUNDS, VoiceCaller, call_clips, call_text, join_clips, window_words
from tests.kiosk.services.queue_world import make_queue, seed_hall


def fake_player(tmp_path, *, fail=False):
    """A player that logs start/end of each file it 'plays' (and checks it is a proper WAV)."""
    log = tmp_path / "played.log"
    script = tmp_path / "player.py"
    script.write_text(
        "import sys, time, wave\n"
        f"log = open({str(log)!r}, 'a')\n"
        "w = wave.open(sys.argv[1]); n = w.getnframes(); w.close()\n"
        "log.write(f'start {n}\\n'); log.flush()\n"
        "time.sleep(0.05)\n"
        "log.write('end\\n'); log.flush()\n"
        f"sys.exit({1 if fail else 0})\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return [sys.executable, str(script)], log


def test_phrase_words():
    assert call_text("A023", 3) == "请 A023 号 到 3 号窗口办理"
    assert call_clips("A023", 3) == ["qing", "letter_A", "d0", "d2", "d3", "hao", "dao", "d3", "chuangkou_banli"]
    assert window_words(10) == ["shi"] and window_words(12) == ["shi", "d2"]
    assert window_words(25) == ["d2", "shi", "d5"] and window_words(30) == ["d3", "shi"]
    with pytest.raises(ValueError, match="cannot speak"):
        call_clips("A-1", 2)


def test_every_clip_needed_is_shipped():
    for name in ["chime", "qing", "hao", "dao", "shi", "chuangkou_banli", *[f"d{i}" for i in range(10)],
                 *[f"letter_{c}" for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"]]:
        with wave.open(str(SOUNDS / f"{name}.wav")) as w:
            assert w.getnframes() > 1000, name
    assert (SOUNDS / "LICENSE.txt").is_file()


def test_join_keeps_whole_samples(tmp_path):
    clips = [SOUNDS / "qing.wav", SOUNDS / "d1.wav"]
    total = 0
    for c in clips:
        with wave.open(str(c)) as w:
            total += w.getnframes()
            rate = w.getframerate()
    out = join_clips(clips, tmp_path / "x.wav", gap_ms=90)
    with wave.open(str(out)) as w:
        assert w.getnframes() == total + rate * 90 // 1000
    with pytest.raises(FileNotFoundError, match="voice clip missing"):
        join_clips([tmp_path / "nope.wav"], tmp_path / "y.wav")


def test_calls_play_in_turn_never_overlapping(tmp_path):
    player, log = fake_player(tmp_path)
    voice = VoiceCaller(VoiceSection(), player=player)
    voice.announce("A023", 3)
    voice.announce("B001", 12)
    voice.announce("C002", 1)
    assert voice.wait_idle(30)
    voice.close()
    lines = log.read_text().split()
    marks = [x for x in lines if x in ("start", "end")]
    assert marks == ["start", "end"] * 3  # each call finished before the next began
    assert voice.spoken == ["请 A023 号 到 3 号窗口办理", "请 B001 号 到 12 号窗口办理", "请 C002 号 到 1 号窗口办理"]


def test_calls_and_recalls_from_the_queue_events(tmp_path, cache):
    seed_hall(cache)
    q, bus = make_queue(cache)
    player, log = fake_player(tmp_path)
    voice = VoiceCaller(VoiceSection(repeat=1), player=player)
    voice.attach(bus)
    q.issue_ticket("labor")
    q.call_next(1)
    q.recall(1)  # recall repeats the call
    assert voice.wait_idle(30)
    voice.close()
    assert voice.spoken == ["请 A001 号 到 1 号窗口办理"] * 2


def test_chime_only_and_repeat(tmp_path):
    player, log = fake_player(tmp_path)
    voice = VoiceCaller(VoiceSection(chime_only=True, repeat=2), player=player)
    voice.announce("A023", 3)
    assert voice.wait_idle(30)
    voice.close()
    with wave.open(str(SOUNDS / "chime.wav")) as w:
        chime_frames = w.getnframes()
    assert log.read_text().split().count("start") == 2
    assert f"start {chime_frames}" in log.read_text()


def test_no_audio_device_is_silent_and_logged(tmp_path, caplog):
    player, log = fake_player(tmp_path, fail=True)
    voice = VoiceCaller(VoiceSection(), player=player)
    with caplog.at_level("INFO", logger="kiosk.services.voice"):
        voice.announce("A023", 3)
        voice.announce("A024", 3)
        assert voice.wait_idle(30)
    voice.close()
    assert log.read_text().count("start") == 1  # after the first failure nothing is played
    assert not voice.device_ok
    assert "voice (silent): 请 A024 号 到 3 号窗口办理" in caplog.text
    assert caplog.text.count("failed") == 1


def test_no_player_at_all(caplog):
    voice = VoiceCaller(VoiceSection(), player=[])
    with caplog.at_level("INFO", logger="kiosk.services.voice"):
        voice.announce("D007", 4)
        assert voice.wait_idle(30)
    voice.close()
    assert "voice (silent): 请 D007 号 到 4 号窗口办理" in caplog.text
    text, ok = voice.status()
    assert not ok and text.startswith("语音：故障") and "找不到播放器" in text


def test_a_failed_player_is_said_and_tried_again_later(tmp_path):
    player, log = fake_player(tmp_path, fail=True)
    voice = VoiceCaller(VoiceSection(), player=player)
    now = [0.0]
    voice.clock = lambda: now[0]
    voice.announce("A023", 3)
    assert voice.wait_idle(30)
    text, ok = voice.status()
    assert not ok and "语音：故障" in text and "稍后自动重试" in text
    voice.announce("A024", 3)  # within the retry time: not tried
    assert voice.wait_idle(30)
    assert log.read_text().count("start") == 1
    (tmp_path / "ok").mkdir()
    working, log2 = fake_player(tmp_path / "ok", fail=False)  # the sound card is back
    voice.player = working
    now[0] += 61
    voice.announce("A025", 3)
    assert voice.wait_idle(30)
    voice.close()
    assert log2.read_text().count("start") == 1 and voice.status() == ("语音：正常", True)


def test_disabled_says_nothing():
    voice = VoiceCaller(VoiceSection(enabled=False), player=[])
    voice.announce("A001", 1)
    assert voice.wait_idle(5)
    voice.close()
    assert voice.spoken == []
