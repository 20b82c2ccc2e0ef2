"""Qt translations for the kiosk: Chinese source strings, English in kiosk_en.ts / kiosk_en.qm.

Regenerate after changing UI strings with `python -m kiosk.i18n.update` (collects the strings
with Python's parser, keeps every translation, runs pyside6-lrelease). If the compiled .qm is missing, the .ts is read directly, still through
Qt's translate() mechanism, so the kiosk never shows a half-translated screen for that reason.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QTranslator

log = logging.getLogger(__name__)

I18N_DIR = Path(__file__).resolve().parent
SOURCE_LANGUAGE = "zh_CN"
LANGUAGES = ("zh_CN", "en")


def ts_path(language: str) -> Path:
    return I18N_DIR / f"kiosk_{language}.ts"


def qm_path(language: str) -> Path:
    return I18N_DIR / f"kiosk_{language}.qm"


class TsTranslator(QTranslator):
    """Reads a Qt Linguist .ts file directly (used only when the .qm is missing)."""

    def __init__(self, path: Path):
        import xml.etree.ElementTree as ET  # only on this rare path, not at every start

        super().__init__()
        self.messages: dict[tuple[str, str], str] = {}
        root = ET.parse(path).getroot()
        for context in root.iter("context"):
            name = context.findtext("name") or ""
            for message in context.iter("message"):
                source = message.findtext("source") or ""
                translation = message.find("translation")
                if translation is None or translation.get("type") in ("unfinished", "obsolete", "vanished"):
                    continue
                text = translation.text or ""
                if text:
                    self.messages[(name, source)] = text

    def translate(self, context: str, source: str, disambiguation: str | None = None, n: int = -1) -> str:
        return self.messages.get((context, source), "")

    def isEmpty(self) -> bool:
        return not self.messages


class LanguageSwitch:
    """Installs the translator for one language on the application (zh_CN needs none).

    Qt translators are per application, so every kiosk window shares one switch: `for_app`.
    """

    _shared: dict[int, LanguageSwitch] = {}

    @classmethod
    def for_app(cls, app: QCoreApplication) -> LanguageSwitch:
        switch = cls._shared.get(id(app))
        if switch is None or switch.app is not app:
            switch = cls._shared[id(app)] = cls(app)
        return switch

    def __init__(self, app: QCoreApplication):
        self.app = app
        self.language = SOURCE_LANGUAGE
        self._translator: QTranslator | None = None

    def set_language(self, language: str) -> bool:
        if language not in LANGUAGES:
            raise ValueError(f"unknown language {language!r}; choose one of {', '.join(LANGUAGES)}")
        if self._translator is not None:
            self.app.removeTranslator(self._translator)
            self._translator = None
        self.language = language
        if language == SOURCE_LANGUAGE:
            return True
        translator: QTranslator = QTranslator(self.app)
        if not translator.load(str(qm_path(language))):
            log.warning("no compiled translation %s; reading %s", qm_path(language), ts_path(language))
            try:
                translator = TsTranslator(ts_path(language))
            except (OSError, SyntaxError) as exc:  # xml.etree.ElementTree.ParseError is a SyntaxError
                log.error("cannot read the %s translation: %s; staying in Chinese", language, exc)
                self.language = SOURCE_LANGUAGE
                return False
        self._translator = translator
        self.app.installTranslator(translator)
        return True
