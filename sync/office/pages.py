"""Plain HTML pages residents open from a QR code on their phones: a guide, a ticket's status,
and the statistics table for the street office. No login, no external assets.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from typing import Any

from sync.office.store import StatRow

_STYLE = """
body{font-family:"Noto Sans CJK SC","WenQuanYi Micro Hei","Microsoft YaHei",sans-serif;margin:0;
 padding:0 1rem 2rem;line-height:1.6;color:#1b1b1b;background:#f6f7f9;font-size:17px}
header{background:#b71c1c;color:#fff;margin:0 -1rem 1rem;padding:.8rem 1rem}
header h1{font-size:1.3rem;margin:0}header p{margin:.2rem 0 0;opacity:.85;font-size:.9rem}
section{background:#fff;border-radius:8px;padding:.6rem 1rem;margin:.8rem 0;box-shadow:0 1px 2px rgba(0,0,0,.15)}
h2{font-size:1.05rem;margin:.3rem 0;color:#b71c1c}ol,ul{padding-left:1.3rem;margin:.3rem 0}
.big{font-size:3rem;font-weight:bold;text-align:center;margin:.5rem 0;letter-spacing:.1em}
.state{font-size:1.4rem;text-align:center;font-weight:bold}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem .8rem;margin:0}dt{color:#666}dd{margin:0}
table{border-collapse:collapse;width:100%;background:#fff;font-size:.95rem}
th,td{border:1px solid #ddd;padding:.3rem .5rem;text-align:right}th{background:#eee}
td:nth-child(-n+3){text-align:left}.muted{color:#777;font-size:.85rem}
"""

STATE_WORDS = {
    "waiting": "等候中 Waiting",
    "called": "请到窗口办理 Please go to the window",
    "serving": "正在办理 Being served",
    "skipped": "已过号 Missed (please ask at the counter)",
    "held": "暂缓 On hold",
    "served": "已办结 Finished",
    "cancelled": "已取消 Cancelled",
    "expired": "已过期 Expired (its day has ended)",
}

FORM_WORDS = {"original": "原件", "copy": "复印件", "both": "原件和复印件"}


def page(title: str, body: str, *, refresh_s: int | None = None) -> str:
    refresh = f'<meta http-equiv="refresh" content="{refresh_s}">' if refresh_s else ""
    return (
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
        f"{refresh}<title>{escape(title)}</title><style>{_STYLE}</style></head><body>{body}</body></html>"
    )


def _text(value: Any) -> str:
    return escape(str(value)) if value not in (None, "") else ""


def _para(value: Any) -> str:
    return "<br>".join(escape(line) for line in str(value or "").splitlines())


def _section(title: str, inner: str) -> str:
    return f"<section><h2>{escape(title)}</h2>{inner}</section>" if inner else ""


def guide_page(data: dict[str, Any]) -> str:
    """A 办事指南 on one phone screen; tolerant of missing fields (older records)."""

    def lst(key: str) -> list[Any]:
        value = data.get(key)
        return value if isinstance(value, list) else []

    materials = []
    for m in lst("materials"):
        if not isinstance(m, dict):
            continue
        extra = [FORM_WORDS.get(str(m.get("form")), ""), f"{m.get('copies', 1)} 份"]
        notes = f"<br><span class=muted>{_text(m.get('notes'))}</span>" if m.get("notes") else ""
        materials.append(f"<li>{_text(m.get('name'))}（{escape('，'.join(x for x in extra if x))}）{notes}</li>")
    steps = "".join(f"<li>{_text(s)}</li>" for s in lst("steps"))
    faqs = "".join(f"<dt>问</dt><dd>{_text(f.get('q'))}</dd><dt>答</dt><dd>{_para(f.get('a'))}</dd>"
                   for f in lst("faqs") if isinstance(f, dict))
    facts = [
        ("实施主体", data.get("authority")), ("法定时限", data.get("legal_time_limit")),
        ("承诺时限", data.get("promised_time_limit")), ("到现场次数", f"{data['visits']} 次" if isinstance(data.get("visits"), int) else None),
        ("收费标准", data.get("fees") or "不收费"), ("办理地点", data.get("location")),
        ("办理时间", data.get("hours")), ("咨询电话", data.get("phone")),
        ("监督投诉", data.get("complaint_phone")),
    ]
    dl = "".join(f"<dt>{escape(k)}</dt><dd>{_para(v)}</dd>" for k, v in facts if v not in (None, ""))
    body = (
        f"<header><h1>{_text(data.get('name'))}</h1><p>{_text(data.get('name_en'))} · "
        f"事项编码 {_text(data.get('code'))}</p></header>"
        + _section("受理条件 Conditions", _para(data.get("conditions")))
        + _section("申请材料 Materials", f"<ol>{''.join(materials)}</ol>" if materials else "")
        + _section("办理流程 Steps", f"<ol>{steps}</ol>" if steps else "")
        + _section("特殊环节", _para(data.get("special_steps")))
        + _section("办理须知 Facts", f"<dl>{dl}</dl>" if dl else "")
        + _section("设定依据 Legal basis", _para(data.get("legal_basis")))
        + _section("常见问题 FAQ", f"<dl>{faqs}</dl>" if faqs else "")
    )
    return page(str(data.get("name") or "办事指南"), body)


def not_found_page(what: str) -> str:
    return page("未找到 Not found", f"<header><h1>未找到 Not found</h1></header>"
                                     f"<section>{escape(what)}</section>")


def stats_page(rows: Iterable[StatRow]) -> str:
    head = ("<tr><th>大厅 Hall</th><th>业务 Business</th><th>日期 Day</th><th>取号 Tickets</th>"
            "<th>办结 Served</th><th>平均等候(分) Wait</th><th>平均办理(分) Service</th></tr>")
    body_rows = "".join(
        f"<tr><td>{escape(r.hall)}</td><td>{escape(r.business)}</td><td>{r.day.isoformat()}</td>"
        f"<td>{r.tickets}</td><td>{r.served}</td><td>{'' if r.avg_wait_min is None else r.avg_wait_min}</td>"
        f"<td>{'' if r.avg_service_min is None else r.avg_service_min}</td></tr>"
        for r in rows
    )
    return page("统计 Statistics", f"<header><h1>办件统计 Statistics</h1></header><table>{head}{body_rows}</table>")
