"""Hall errors become words only at the screen: in the screen's language from their code and
parameters; the English kiosk never shows an error's Chinese sentence."""

from __future__ import annotations

import re

import pytest

from kiosk.i18n import LanguageSwitch
from kiosk.services.auth import AuthError
from kiosk.services.queue import QueueError
from kiosk.ui.error_text import ASK_STAFF_EN, error_text

CJK = re.compile(r"[\u3400-\u9fff]")


@pytest.fixture
def language(qapp):
    switch = LanguageSwitch.for_app(qapp)
    yield switch
    switch.set_language("zh_CN")


def test_coded_errors_are_worded_in_the_screens_language(language):
    paused = QueueError("民政事务业务暂停取号", "business_paused", business="civil", name="民政事务业务",
                        name_en="Civil affairs")
    locked = AuthError("账户已锁定", "locked", minutes=5)
    language.set_language("zh_CN")
    assert error_text(paused, english=False) == "民政事务业务暂停取号，请咨询工作人员"
    assert "5 分钟" in error_text(locked, english=False)
    assert language.set_language("en")
    english = [error_text(paused, english=True), error_text(locked, english=True)]
    assert "Civil affairs" in english[0]
    assert not any(CJK.search(text) for text in english), english


def test_an_error_without_words_keeps_its_chinese_message_and_is_never_chinese_in_english(language):
    refused = QueueError("没有3号窗口")  # no code: no screen has words of its own for it
    assert error_text(refused, english=False) == "没有3号窗口"
    language.set_language("en")
    assert error_text(refused, english=True) == ASK_STAFF_EN
    assert error_text(RuntimeError("数据库错误"), english=True) == ASK_STAFF_EN
