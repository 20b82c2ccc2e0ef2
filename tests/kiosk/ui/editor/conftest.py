"""Editor UI tests share the editor service tests' hall template (tests/kiosk/services/editor_world.py)."""


import pytest

from tests.kiosk.services.editor_world import build_template, copy_hall  # noqa: E402


@pytest.fixture(scope="session")
def editor_template(tmp_path_factory):
    return build_template(tmp_path_factory.mktemp("editor-ui-template"))


@pytest.fixture
def hall(hall_config, editor_template):
    h = copy_hall(editor_template[0], hall_config)
    yield h
    h.close()


@pytest.fixture
def people(editor_template):
    return editor_template[1]


@pytest.fixture(autouse=True)
def _discard_unsaved_at_teardown(monkeypatch):
    """pytest-qt closes every editor a test left open: answer the unsaved-changes question with
    "discard" instead of waiting for a person (tests of the question use the real box)."""
    import kiosk.ui.editor.window as window

    real = window.ask_unsaved
    monkeypatch.setattr(window, "ask_unsaved", lambda *_a: "discard")
    return real
