"""Handwriting: real finger strokes through Zinnia and the Tegaki model give the character."""

from __future__ import annotations

import pytest

from kiosk.services import handwriting
from kiosk.services.handwriting import HandwritingUnavailable, Recognizer
from kiosk.services.handwriting_samples import CORNERS, strokes


@pytest.fixture(scope="module")
def recognizer():
    rec = Recognizer.open()
    yield rec
    rec.close()


@pytest.mark.parametrize("char", ["十", "口", "人", "大", "保", "低"])
def test_written_character_is_among_the_candidates(recognizer, char):
    found = recognizer.candidates(strokes(char))
    assert len(found) >= 8
    assert char in found[:8], found


def test_every_stroke_gives_candidates(recognizer):
    """The pad asks after each stroke: the first strokes of 保 already give eight characters."""
    written = strokes("保")
    for n in range(1, len(written) + 1):
        assert len(recognizer.candidates(written[:n])) >= 8
    assert recognizer.candidates(written)[0] == "保"


def test_the_box_size_is_the_pad_size(recognizer):
    """Twice the pad, twice the coordinates: the same character."""
    big = [[(x * 2, y * 2) for x, y in s] for s in strokes("低")]
    assert "低" in recognizer.candidates(big, width=600, height=600)[:8]


def test_no_strokes_no_candidates_and_bad_box(recognizer):
    assert recognizer.candidates([]) == []
    assert recognizer.candidates([[]]) == []
    with pytest.raises(ValueError, match="size"):
        recognizer.candidates(strokes("十"), width=0)


def test_points_off_the_pad_are_clamped(recognizer):
    written = strokes("十")
    written[0] = [(-40.0, 150.0)] + written[0] + [(400.0, 150.0)]
    assert "十" in recognizer.candidates(written)[:8]


def test_missing_model_says_which_package(tmp_path):
    with pytest.raises(HandwritingUnavailable, match="tegaki-zinnia-simplified-chinese"):
        Recognizer.open(tmp_path / "none.model")


def test_damaged_model_is_refused(tmp_path):
    bad = tmp_path / "bad.model"
    bad.write_bytes(b"not a zinnia model" * 10)
    with pytest.raises(HandwritingUnavailable, match="cannot open the model"):
        Recognizer.open(bad)


def test_missing_library_says_which_package(monkeypatch):
    monkeypatch.setattr(handwriting, "LIBRARY_NAMES", ("libzinnia-not-here.so.9",))
    with pytest.raises(HandwritingUnavailable, match="libzinnia0"):
        Recognizer.open()


def test_shared_recognizer_off_with_a_reason(monkeypatch, tmp_path, caplog):
    monkeypatch.setattr(handwriting, "MODEL", tmp_path / "none.model")
    monkeypatch.setattr(handwriting, "_shared", None)
    monkeypatch.setattr(handwriting, "_shared_error", None)
    assert handwriting.shared_recognizer() is None
    assert "tegaki" in (handwriting.unavailable_reason() or "")
    assert "handwriting input is off" in caplog.text


def test_strokes_cover_the_characters():
    assert set(CORNERS) >= {"十", "口", "人", "低", "保"}
