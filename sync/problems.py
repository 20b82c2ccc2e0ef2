"""Validation problems as a code and parameters; the words are chosen where they are shown.

Content checks (sync/content.py) and the editor (kiosk/services/editor.py) say *what* is wrong
as an `Invalid(code, params)`; a screen turns it into text in its own language
(`Invalid.text("zh_CN")` in the Chinese editor), and files and the command line, read by whoever
installs a hall, get both languages (`Invalid.bilingual()`: "中文 (English)").
"""

from __future__ import annotations

from typing import Any, NamedTuple

# code -> (Chinese, English); {name} parameters are filled in from Invalid.params
MESSAGES: dict[str, tuple[str, str]] = {
    "required": ("缺少必填项", "required field is missing"),
    "unknown_field": ("未知字段，是否拼写错误？", "unknown field: a typo?"),
    "empty": ("不能为空", "must not be empty"),
    "too_long_text": ("过长: {length} 字，最多 {most} 字", "too long: {length} characters, at most {most}"),
    "too_few_items": ("至少需要 {least} 项", "needs at least {least} item(s)"),
    "too_many_items": ("条目过多，最多 {most} 项", "at most {most} items"),
    "at_least": ("不能小于 {least}，实际为 {value}", "must be at least {least}, not {value}"),
    "at_most": ("不能大于 {most}，实际为 {value}", "must be at most {most}, not {value}"),
    "one_of": ("应为 {choices} 之一，实际为 {value}", "must be one of {choices}, not {value}"),
    "not_text": ("应为文字，实际为 {value}", "should be text (put numbers and times in quotes), not {value}"),
    "not_whole_number": ("应为整数，实际为 {value}", "should be a whole number, not {value}"),
    "not_list": ("应为列表，每项以 - 开头，实际为 {value}", "should be a list of '- ' items, not {value}"),
    "not_mapping": ("应为键值映射，实际为 {value}", "should be a mapping of key: value, not {value}"),
    "not_date": ("应为日期，如 2026-11-25，实际为 {value}", "should be a date like 2026-11-25, not {value}"),
    "date_with_time": ("应为日期，不带时间，实际为 {value}", "should be a date without a time, not {value}"),
    "other": ("{detail}，实际为 {value}", "{detail}, not {value}"),
    "refused": ("{detail}", "{detail}"),  # a check without a code of its own (its text as it came)
    "bad_code": ("编码只能用英文字母、数字和 - _ .，最长40个字符", "code: letters, digits, - _ . only, at most 40"),
    "bad_category_code": ("类别编码应为小写英文字母开头，只含小写字母、数字、- _，最长40个字符",
                          "category code: lowercase letters, digits, - _; it is also the file name"),
    "bad_icon": ("图标名只能用小写英文字母、数字和 - _", "icon: lowercase letters, digits, - _"),
    "bad_prefix": ("票号前缀应为1–2个大写英文字母，如 A", "ticket prefix: 1–2 letters A–Z"),
    "bad_pin": ("PIN 应为4–8位数字", "PIN: 4–8 digits"),
    "bad_uid": ("uid 应为 UUID，如 35095c2a-bf7d-56c4-848c-7f179995a6c0",
                "uid must be a UUID; leave it out to have one derived"),
    "control_character": ("含有不可见的控制字符 U+{code_point}，请删除", "invisible control character U+{code_point}"),
    "business_twice": ("业务重复: {codes}", "a business is listed twice: {codes}"),
    "row_cells": ("第 {row} 行有 {cells} 格，表头有 {columns} 列", "row {row} has {cells} cells for {columns} columns"),
    "ends_before_start": ("结束日期早于开始日期 {starts}", "ends before it starts on {starts}"),
    "far_too_long": ("内容过长（{length} 个字符），最多 {most} 个字符", "too long: {length} characters, at most {most}"),
    "one_line": ("此项只能写一行，请删除换行", "one line only: remove the line break"),
    "no_tab": ("此项不能含制表符", "no tab characters"),
    "markup": ("不能包含网页标记 “{markup}”，请只写纯文本", "plain text only: no HTML tags or entities (“{markup}”)"),
    "link_scheme": ("链接只能以 http:// 或 https:// 开头，不能用 {scheme}:", "only http(s) links, not {scheme}:"),
    "bad_phone": ("电话格式不对，应如 028-85550101 或 12345，可在括号中加说明",
                  "phone: digits, - + 转 and an optional note in brackets, e.g. 028-85550101"),
    "unknown_kind": ("未知的内容类型 {kind}，应为 {kinds} 之一", "unknown content kind {kind}; expected one of {kinds}"),
    "code_taken": ("编码 {code} 已被“{by}”使用", "code {code} is already used by “{by}”"),
    "prefix_taken": ("票号前缀 {prefix} 已被“{by}”使用，请换一个字母",
                     "ticket prefix {prefix} is already used by “{by}”: choose another letter"),
    "window_taken": ("{number}号窗口已存在", "window {number} already exists"),
    "unknown_business": ("业务 {code} 不存在", "unknown business type {code}"),
    "unknown_category": ("类别 {code} 不存在", "unknown category {code}"),
}


class Invalid(NamedTuple):
    """What is wrong with a value: a code from MESSAGES and its parameters."""

    code: str
    params: dict[str, Any] = {}  # noqa: RUF012 - never mutated; NamedTuple defaults are shared

    def text(self, language: str = "zh_CN") -> str:
        zh, en = MESSAGES[self.code]
        return (en if language == "en" else zh).format(**self.params)

    def bilingual(self) -> str:
        return f"{self.text('zh_CN')} ({self.text('en')})"

    def __str__(self) -> str:  # logs and exception messages: both languages
        return self.bilingual()


def invalid(code: str, /, **params: Any) -> Invalid:
    if code not in MESSAGES:
        raise KeyError(f"no message for the problem code {code!r}")
    return Invalid(code, params)


class InvalidValue(ValueError):
    """A validator's refusal with its code: pydantic keeps the exception in the error's ctx."""

    def __init__(self, code: str, /, **params: Any):
        self.problem = invalid(code, **params)
        super().__init__(self.problem.bilingual())
