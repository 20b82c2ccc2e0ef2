"""One validation for every path, in the hall: the editor and `yizhan content import` refuse
the same content as the office (markup, script links, U+202E, a second LD-001), naming the
record and the field, and store nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kiosk.cli import main
from kiosk.config import HallConfig
from kiosk.services.content import export_bundle
from kiosk.services.editor import EditorService, ValidationFailed
from sync.cache import models as m
from sync.cache.db import open_cache
from sync.content import derive_uid
from tests.kiosk.services.editor_world import build_template, copy_hall
from tests.sync.content_bad_inputs import BAD_IDS, BAD_TEXT, OTHER_LD001, folder_with, spoil_guide


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return build_template(tmp_path_factory.mktemp("rules-template"))


@pytest.fixture
def hall(hall_config, template):
    h = copy_hall(template[0], hall_config)
    yield h
    h.close()


@pytest.mark.parametrize(("what", "field", "value", "words"), BAD_TEXT, ids=BAD_IDS)
def test_editor_refuses_bad_text(hall, template, what, field, value, words):
    editor = EditorService.for_hall(hall)
    state = editor.load("guide", derive_uid("guide", "LD-001"))
    state.data = spoil_guide(state.data, field, value)
    with pytest.raises(ValidationFailed) as caught:
        editor.publish(template[1]["editor"], state)
    assert words in caught.value.errors[field].text()  # the editor shows it in Chinese


def test_editor_refuses_a_second_ld001(hall, template):
    editor = EditorService.for_hall(hall)
    state = editor.new_record("guide")
    state.data = {**editor.load("guide", derive_uid("guide", "LD-001")).data, "uid": state.uid}
    with pytest.raises(ValidationFailed) as caught:
        editor.publish(template[1]["editor"], state)
    assert "LD-001" in caught.value.errors["code"].text()


def guide_names(data_dir) -> list[str]:
    config = HallConfig()
    config.hall.data_dir = data_dir
    cache = open_cache(config.cache_path())
    try:
        with cache.sessions() as s:
            assert s.scalar(select(func.count()).select_from(m.ServiceGuide)) == len(export_bundle(s).guides)
            return sorted(s.scalars(select(m.ServiceGuide.name)))
    finally:
        cache.close()


@pytest.mark.parametrize(("what", "field", "value", "words"), BAD_TEXT, ids=BAD_IDS)
def test_content_import_refuses_bad_text(tmp_path, capsys, what, field, value, words):
    data = tmp_path / "data"
    assert main(["content", "import", str(folder_with(tmp_path)), "--data-dir", str(data)]) == 0
    before = guide_names(data)
    capsys.readouterr()
    assert main(["content", "import", str(folder_with(tmp_path, field, value)), "--data-dir", str(data)]) != 0
    err = capsys.readouterr().err
    assert "labor.yaml:" in err and f"entry guide LD-001 field {field}" in err and words in err
    assert "nothing was imported" in err
    assert guide_names(data) == before


def test_content_import_refuses_a_second_ld001(tmp_path, capsys):
    data = tmp_path / "data"
    assert main(["content", "import", str(folder_with(tmp_path)), "--data-dir", str(data)]) == 0
    before = guide_names(data)
    capsys.readouterr()
    # In one folder...
    assert main(["content", "import", str(folder_with(tmp_path, duplicate=True)), "--data-dir", str(data)]) != 0
    assert "LD-001" in capsys.readouterr().err
    # ...and against the cache: a folder whose LD-001 is another record.
    folder = folder_with(tmp_path, own_uid_for_ld001=OTHER_LD001)
    assert main(["content", "import", str(folder), "--data-dir", str(data)]) != 0
    err = capsys.readouterr().err
    assert "LD-001" in err and "nothing was imported" in err
    assert guide_names(data) == before
