"""读给我听: real espeak-ng Mandarin speech, played by a real subprocess player, with pause and stop."""

from __future__ import annotations

import stat
import sys
import time

import pytest

from kiosk.services.catalog_items import GuideDetail, MaterialItem
from kiosk.services.read_aloud import Reader, guide_script, spell_label, ticket_script


def player(tmp_path, seconds=0.3):
    """Checks each file is a real WAV with speech in it, logs the sentence number, takes a while."""
    log = tmp_path / "played.log"
    script = tmp_path / "player.py"
    script.write_text(
        "import sys, time, wave, array\n"
        "w = wave.open(sys.argv[1]); frames = w.readframes(w.getnframes()); w.close()\n"
        "loud = max(abs(s) for s in array.array('h', frames))\n"
        f"open({str(log)!r}, 'a').write(f'{{len(frames)}} {{loud}}\\n')\n"
        f"time.sleep({seconds})\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return [sys.executable, str(script)], log


def detail(**kw):
    base = dict(uid="u", code="MZ001", name="最低生活保障申请", name_en="", category_code="mz", category_name="民政",
                category_name_en="", authority="", legal_basis="", conditions="本社区户籍居民。家庭收入低于低保标准。",
                materials=(MaterialItem("身份证", 1, "原件", ""), MaterialItem("户口簿", 2, "复印件", "")),
                steps=("提交申请", "社区入户调查"), special_steps="", legal_time_limit="", promised_time_limit="",
                visits=1, fees="", location="一楼 3 号窗口", hours="", phone="", complaint_phone="", faqs=(),
                keywords=(), business_code=None, business_name="", business_name_en="", version=1)
    base.update(kw)
    return GuideDetail(**base)


def wait_for(predicate, timeout=20.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_guide_script_has_every_part_in_order():
    script = guide_script(detail())
    text = "".join(script)
    order = ["最低生活保障申请", "受理条件", "本社区户籍居民", "申请材料，共 2 项", "第 1 项，身份证，1 份",
             "第 2 项，户口簿，2 份", "办理流程", "第 1 步，提交申请", "第 2 步，社区入户调查", "办理地点：一楼 3 号窗口",
             "办理时间：暂无"]
    positions = [text.index(part) for part in order]
    assert positions == sorted(positions)
    assert all(s.endswith("。") for s in script)


def test_empty_parts_read_as_none_and_long_text_is_split():
    script = guide_script(detail(conditions="", materials=(), steps=(), location="很长的说明，" * 80))
    assert "受理条件：暂无。" in script and "申请材料：暂无。" in script and "办理流程：暂无。" in script
    assert max(len(s) for s in script) <= 420


def test_ticket_script():
    assert ticket_script("A023", 3) == ["您的号码是 A 零二三。", "前面还有 3 人。"]
    assert ticket_script("B101", 0)[1] == "您是下一位，请留意叫号。"
    assert spell_label("a7") == "A 七"


def test_reads_every_sentence_with_espeak(tmp_path):
    cmd, log = player(tmp_path, seconds=0.01)
    reader = Reader(player=cmd)
    assert reader.available, "espeak-ng must be installed (tools/setup.sh)"
    states = []
    reader.on_state = states.append
    reader.read(ticket_script("A023", 3))
    assert wait_for(lambda: reader.state == "idle")
    assert reader.spoken == ["您的号码是 A 零二三。", "前面还有 3 人。"]
    lines = log.read_text().split("\n")[:2]
    assert all(int(n) > 10000 and int(loud) > 1000 for n, loud in (line.split() for line in lines))  # real speech
    assert states == ["reading", "idle"]


def test_pause_resume_stop(tmp_path):
    cmd, log = player(tmp_path, seconds=0.6)
    reader = Reader(player=cmd)
    script = guide_script(detail())
    reader.read(script)
    assert wait_for(lambda: log.exists())
    reader.pause()
    assert reader.state == "paused"
    at = reader.position
    time.sleep(0.8)
    assert reader.position == at and len(reader.spoken) == at  # nothing goes on while paused
    reader.resume()
    assert reader.state == "reading"
    assert wait_for(lambda: len(reader.spoken) > at)
    assert reader.spoken[at] == script[at]  # the interrupted sentence again, from its start
    reader.stop()
    assert reader.state == "idle" and reader.position == 0
    done = len(reader.spoken)
    time.sleep(0.8)
    assert len(reader.spoken) == done


def test_failing_player_ends_the_reading(tmp_path, caplog):
    bad = tmp_path / "bad.py"
    bad.write_text("import sys; sys.stderr.write('no soundcard'); sys.exit(1)\n")
    reader = Reader(player=[sys.executable, str(bad)])
    reader.read(["测试。"])
    assert wait_for(lambda: reader.state == "idle")
    assert "no soundcard" in reader.error and "no soundcard" in caplog.text


def test_without_espeak_nothing_starts(caplog):
    reader = Reader(player=[], engine="")
    reader.read(["测试。"])
    assert reader.state == "idle" and not reader.available
    assert "espeak-ng" in reader.error


@pytest.mark.parametrize("sentences", [[], ["一。"]])
def test_new_reading_replaces_the_old(tmp_path, sentences):
    cmd, _ = player(tmp_path, seconds=0.3)
    reader = Reader(player=cmd)
    reader.read(["第一段很长。", "第二段。"])
    reader.read(sentences + ["新的。"])
    assert wait_for(lambda: reader.state == "idle")
    assert reader.spoken[-1] == "新的。"
    assert "第二段。" not in reader.spoken
