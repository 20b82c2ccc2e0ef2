"""Residents who cannot type pinyin or cannot read the screen: handwriting, pinyin candidates,
the English layout, 读给我听 and priority tickets, driven by taps and finger strokes."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication
from test_kiosk import answered, guide_uid, tap, texts

from kiosk.services.handwriting_samples import strokes


def write(pad, char):
    """Write a character on the pad with a 'finger': press, move through the points, lift."""
    pad.write(strokes(char))


def open_search(qtbot, kiosk):
    tap(qtbot, kiosk.nav_search_button)
    search = kiosk.screens["search"]
    QApplication.processEvents()
    return search


def test_handwriting_puts_the_character_into_the_search(qtbot, kiosk):
    search = open_search(qtbot, kiosk)
    panel = search.input
    tap(qtbot, panel.mode_buttons["handwriting"])
    assert panel.mode == "handwriting" and panel.pad.isVisible() and not search.keyboard.isVisible()
    write(panel.pad, "低")
    shown = panel.candidates.visible_texts()
    assert len(shown) >= 8 and "低" in shown
    tap(qtbot, panel.candidates.buttons[shown.index("低")])
    assert search.field.text() == "低" and panel.pad.strokes == []  # the pad is ready for the next one
    write(panel.pad, "保")
    shown = panel.candidates.visible_texts()
    tap(qtbot, panel.candidates.buttons[shown.index("保")])
    assert search.field.text() == "低保"
    assert search.hits and search.hits[0].guide.name == "最低生活保障申请"


def test_undo_a_stroke_and_clear(qtbot, kiosk):
    panel = open_search(qtbot, kiosk).input
    tap(qtbot, panel.mode_buttons["handwriting"])
    write(panel.pad, "十")
    assert panel.candidates.visible_texts()[0] == "十"
    tap(qtbot, panel.undo_button)
    assert len(panel.pad.strokes) == 1 and panel.candidates.visible_texts()[0] != "十"
    tap(qtbot, panel.rewrite_button)
    assert panel.pad.strokes == [] and panel.candidates.visible_texts() == []


def test_pinyin_candidates_replace_the_letters(qtbot, kiosk):
    search = open_search(qtbot, kiosk)
    panel = search.input
    assert panel.mode == "pinyin"
    for ch in "dibao":
        tap(qtbot, search.keyboard.keys[ch])
    shown = panel.candidates.visible_texts()
    assert shown[0] == "低保" and len(shown) >= 2  # the hall's own word first
    assert search.rows, "the letters search by pinyin as before"
    tap(qtbot, panel.candidates.buttons[1])  # a single character: replaces "di" only
    assert search.field.text() == shown[1] + "bao"
    tap(qtbot, panel.candidates.buttons[0])
    assert len(search.field.text()) == 2  # "bao" became one character too
    assert all("\u4e00" <= ch <= "\u9fff" for ch in search.field.text())


def test_english_layout_has_a_space_and_an_english_hint(qtbot, kiosk):
    tap(qtbot, kiosk.language_button)
    search = open_search(qtbot, kiosk)
    panel = search.input
    assert panel.mode == "abc" and panel.candidates.visible_texts() == [] and panel.hint.isVisible()
    assert "pinyin" not in panel.hint.text().lower() and "English" in panel.hint.text()
    for ch in "minimum living":
        tap(qtbot, search.keyboard.space_key if ch == " " else search.keyboard.keys[ch])
    assert search.field.text() == "minimum living"


def test_idle_return_resets_the_input(qtbot, kiosk):
    search = open_search(qtbot, kiosk)
    tap(qtbot, search.input.mode_buttons["handwriting"])
    write(search.input.pad, "人")
    kiosk.reset_session()
    assert search.input.mode == "pinyin" and search.input.pad.strokes == []
    assert search.input.candidates.visible_texts() == []


@pytest.mark.parametrize("orientation", ["landscape", "portrait"])
def test_pad_and_candidates_fit_in_large_text(qtbot, make_kiosk, orientation):
    kiosk = make_kiosk(orientation)
    tap(qtbot, kiosk.large_button)
    search = open_search(qtbot, kiosk)
    panel = search.input
    tap(qtbot, panel.mode_buttons["handwriting"])
    write(panel.pad, "口")
    QApplication.processEvents()
    assert len(panel.candidates.visible_texts()) >= 8
    assert panel.pad.width() >= 2 * kiosk.theme.touch and panel.pad.height() >= 2 * kiosk.theme.touch
    card = search.keyboard_card.geometry()
    for w in (panel.pad, panel.undo_button, *panel.candidates.buttons[:8], *panel.mode_buttons.values()):
        top_left = w.mapTo(search, w.rect().topLeft())
        bottom_right = w.mapTo(search, w.rect().bottomRight())
        # the mode switch sits beside the search field in landscape, in the card in portrait
        where = search.rect() if w in panel.mode_buttons.values() and orientation == "landscape" else card
        assert where.contains(top_left) and where.contains(bottom_right), w.objectName()
    assert kiosk.minimumSizeHint().height() <= kiosk.height()


@pytest.mark.parametrize("orientation", ["landscape", "portrait"])
@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_new_screens_fit_in_large_text(qtbot, make_kiosk, orientation, language):
    """The handwriting page, the priority choice and a priority ticket with 读给我听 fit the
    screen in large text, in both orientations and both languages."""
    kiosk = make_kiosk(orientation)
    kiosk.hall.config.kiosk.priority_tickets = True
    kiosk.set_language(language)
    kiosk.set_large_text(True)
    limit = kiosk.size()

    def fits(what):
        for _ in range(5):
            QApplication.processEvents()
        need = kiosk.minimumSizeHint()
        assert need.width() <= limit.width() and need.height() <= limit.height(), (what, need)

    search = open_search(qtbot, kiosk)
    tap(qtbot, search.input.mode_buttons["handwriting"])
    write(search.input.pad, "人")
    fits("handwriting")
    kiosk.go("guide", uid=guide_uid(kiosk.hall, "MZ-001"))
    fits("guide")
    kiosk.go("ticket", business="civil")
    fits("priority choice")
    tap(qtbot, kiosk.screens["ticket"].kind_buttons["priority"])
    answered(qtbot, kiosk.screens["ticket"])
    assert kiosk.screens["ticket"].ticket.priority
    fits("priority ticket")


# --- 读给我听 ---------------------------------------------------------------------------------


class FakeReader:
    """Records what the kiosk asks of the reader (the real one is tested in tests/kiosk/services)."""

    available = True

    def __init__(self):
        self.state, self.script, self.calls = "idle", [], []

    def read(self, script):
        self.script, self.state = list(script), "reading"
        self.calls.append("read")

    def pause(self):
        self.state = "paused"
        self.calls.append("pause")

    def resume(self):
        self.state = "reading"
        self.calls.append("resume")

    def stop(self):
        self.state = "idle"
        self.calls.append("stop")


def test_guide_read_aloud_pause_stop_and_leaving(qtbot, kiosk):
    kiosk.go("guide", uid=guide_uid(kiosk.hall, "MZ-001"))
    guide = kiosk.screens["guide"]
    reader = guide.read_aloud._reader = FakeReader()
    tap(qtbot, guide.read_aloud.read_button)
    d = guide.detail
    assert reader.script[0].startswith(d.name)
    assert any(s.startswith("受理条件") for s in reader.script)
    tap(qtbot, guide.read_aloud.pause_button)
    assert reader.state == "paused" and guide.read_aloud.pause_button.text().endswith("继续")
    tap(qtbot, guide.read_aloud.pause_button)
    assert reader.state == "reading"
    tap(qtbot, guide.read_aloud.stop_button)
    assert reader.state == "idle"
    tap(qtbot, guide.read_aloud.read_button)
    tap(qtbot, kiosk.back_button)  # leaving the screen stops the reading
    assert reader.state == "idle" and reader.calls[-1] == "stop"
    kiosk.go("guide", uid=d.uid)
    tap(qtbot, guide.read_aloud.read_button)
    kiosk.reset_session()  # the idle return
    assert reader.state == "idle"


def test_ticket_is_read_aloud(qtbot, kiosk):
    tap(qtbot, kiosk.nav_ticket_button)
    screen = kiosk.screens["ticket"]
    code = next(iter(screen.business_buttons))
    tap(qtbot, screen.business_buttons[code])
    answered(qtbot, screen)
    reader = screen.read_aloud._reader = FakeReader()
    tap(qtbot, screen.read_aloud.read_button)
    tk = screen.ticket
    assert reader.script[0].startswith("您的号码是")
    assert reader.script[1] in (f"前面还有 {tk.people_ahead} 人。", "您是下一位，请留意叫号。")


# --- 绿色通道 ---------------------------------------------------------------------------------


def test_priority_ticket_where_the_hall_allows_it(qtbot, kiosk):
    tap(qtbot, kiosk.nav_ticket_button)
    screen = kiosk.screens["ticket"]
    code = next(iter(screen.business_buttons))
    tap(qtbot, screen.business_buttons[code])
    answered(qtbot, screen)
    assert screen.ticket is not None and not screen.ticket.priority  # not allowed: no question asked
    kiosk.hall.config.kiosk.priority_tickets = True
    kiosk.go("ticket")
    tap(qtbot, screen.business_buttons[code])
    assert screen.ticket is None and "优先号（绿色通道）" in texts(screen)
    tap(qtbot, screen.kind_buttons["priority"])
    assert "优先号 · 绿色通道" in answered(qtbot, screen)
    assert screen.ticket.priority and "优先号 · 绿色通道" in texts(screen)
    # the queue calls it before the regular ticket taken earlier, and the board marks it
    from display.board import call_texts

    queue = kiosk.queue
    number = next(w.number for w in queue.windows() if code in w.business_codes)
    called = queue.call_next(number)
    assert called.label == screen.ticket.label
    call = next(c for c in queue.board_view().calls if c.window_number == number)
    assert call.priority and call_texts(call)[0] == f"请 优先{called.label} 到 {number}号窗口"



def test_without_zinnia_the_kiosk_runs_without_the_pad(qtbot, make_kiosk, monkeypatch, tmp_path, caplog):
    from kiosk.services import handwriting

    monkeypatch.setattr(handwriting, "MODEL", tmp_path / "none.model")
    monkeypatch.setattr(handwriting, "_shared", None)
    monkeypatch.setattr(handwriting, "_shared_error", None)
    kiosk = make_kiosk()
    search = open_search(qtbot, kiosk)
    panel = search.input
    assert not panel.mode_buttons["handwriting"].isVisibleTo(kiosk)
    assert panel.mode_buttons["pinyin"].isVisibleTo(kiosk)
    panel.set_mode("handwriting")
    assert panel.mode == "pinyin"
    assert "handwriting input is off" in caplog.text and "tegaki-zinnia-simplified-chinese" in caplog.text
    for ch in "db":
        tap(qtbot, search.keyboard.keys[ch])
    assert search.rows  # searching works as before
