"""The resident's live ticket page (`/t/{uid}`, the QR code on the ticket): number, state,
people ahead, "快到您了", the call with its window, the hall's sync state, and the 好差评 form
once the ticket is finished. The page long-polls `/t/{uid}/live` (sync/office/routes/ratings.py)
so a call shows within a second or two of the hall pushing it; without JavaScript it falls
back to reloading every 15 s, and the rating form still works as a plain form post.
No name or personal data: a ticket number, a business, times and a state.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from sync import wire
from sync.office.pages import STATE_WORDS, page

_LIVE_STYLE = """
.near{background:#fff3cd;border:2px solid #e0a800;color:#7a5200;font-weight:bold;text-align:center;
 font-size:1.3rem;padding:.5rem;border-radius:8px;margin:.8rem 0}
.call{background:#b71c1c;color:#fff;text-align:center;font-size:1.6rem;font-weight:bold;padding:.8rem;
 border-radius:8px;margin:.8rem 0}
.offline{background:#eceff1;border:1px solid #90a4ae;color:#37474f;padding:.4rem .8rem;border-radius:6px;
 text-align:center;margin:.6rem 0}
.levels{display:grid;gap:.5rem}.levels label,.reasons label{display:block;border:1px solid #ccc;border-radius:8px;
 padding:.55rem .8rem;font-size:1.1rem;background:#fafafa}
.reasons{display:grid;grid-template-columns:1fr 1fr;gap:.4rem;margin:.6rem 0}.reasons label{font-size:1rem}
textarea{width:100%;box-sizing:border-box;font-size:1rem;min-height:4rem}
button{width:100%;font-size:1.2rem;padding:.7rem;margin-top:.6rem;background:#b71c1c;color:#fff;border:0;border-radius:8px}
.thanks{text-align:center;font-size:1.2rem;color:#1b5e20;font-weight:bold}.error{color:#b71c1c;font-weight:bold}
[hidden]{display:none!important}
"""


@dataclass
class LiveTicket:
    """What the page shows; `version` changes whenever anything shown changes."""

    label: str
    business: str
    state: str
    state_text: str
    window: int | None
    ahead: int | None
    near: bool  # 快到您了
    called: bool
    hall: str
    online: bool
    last_update: str  # HH:MM in the office's zone, "" before the first sync
    can_rate: bool
    rated: bool
    version: str = ""

    def with_version(self) -> LiveTicket:
        data = asdict(self)
        data.pop("version")
        self.version = hashlib.sha1(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]
        return self


def live_ticket(status: object, *, rated: bool, now: datetime, tz: ZoneInfo, near_ahead: int,
                offline_after_s: float) -> LiveTicket:
    s = status  # sync.office.store.TicketStatus
    seen: datetime | None = s.hall_last_seen  # type: ignore[attr-defined]
    online = seen is not None and (now - seen).total_seconds() <= offline_after_s
    ahead = s.people_ahead  # type: ignore[attr-defined]
    state = s.state  # type: ignore[attr-defined]
    called = state in ("called", "serving")
    return LiveTicket(
        label=s.label, business=s.business_name, state=state,  # type: ignore[attr-defined]
        state_text=STATE_WORDS.get(state, state), window=s.window_number if called else None,  # type: ignore[attr-defined]
        ahead=ahead, near=state == "waiting" and ahead is not None and ahead <= near_ahead, called=called,
        hall=s.hall_name, online=online,  # type: ignore[attr-defined]
        last_update=seen.astimezone(tz).strftime("%H:%M") if seen else "",
        can_rate=state == "served" and not rated, rated=rated,
    ).with_version()


def _rating_form(uid: str) -> str:
    levels = "".join(
        f'<label><input type=radio name=level value="{code}" required> {escape(name)}</label>'
        for code, name in wire.RATING_LEVELS.items())
    reasons = "".join(
        f'<label><input type=checkbox name=reasons value="{code}"> {escape(name)}</label>'
        for code, name in wire.RATING_REASONS.items())
    return (
        f'<form id=rate method=post action="/t/{escape(uid)}/rating">'
        f"<h2>请对本次服务评价 Rate this service</h2><div class=levels>{levels}</div>"
        f"<p class=muted>原因（可选）Reasons (optional)</p><div class=reasons>{reasons}</div>"
        f'<textarea name=comment maxlength="{wire.MAX_COMMENT_CHARS}" '
        f'placeholder="留言（可选，最多 {wire.MAX_COMMENT_CHARS} 字）Comment (optional)"></textarea>'
        f"<button type=submit>提交评价 Submit</button><p id=rate-error class=error hidden></p></form>"
    )


def ticket_page(uid: str, t: LiveTicket, *, poll_url: str) -> str:
    def hidden(show: bool) -> str:
        return "" if show else " hidden"

    ahead = "" if t.ahead is None else str(t.ahead)
    body = (
        f"<header><h1>{escape(t.hall or '排队状态')}</h1><p>排队状态 Queue status</p></header>"
        f'<div id=offline class=offline{hidden(not t.online)}>大厅离线，最后更新 '
        f'<span id=last-update>{escape(t.last_update or "—")}</span>'
        f"<br><span class=muted>Hall offline: this may be out of date</span></div>"
        f'<div id=call class=call{hidden(t.called)}>请到 <span id=window>{t.window or ""}</span> 号窗口办理'
        f"<br><small>Please go to window <span id=window-en>{t.window or ''}</span></small></div>"
        f'<div id=near class=near{hidden(t.near)}>快到您了，请留意叫号<br><small>Almost your turn</small></div>'
        f"<section><div class=big id=label>{escape(t.label)}</div>"
        f"<div class=state id=state>{escape(t.state_text)}</div></section>"
        f"<section><dl><dt>业务 Business</dt><dd>{escape(t.business)}</dd>"
        f'<dt id=ahead-term{hidden(t.ahead is not None)}>前面还有 Ahead</dt>'
        f'<dd id=ahead-row{hidden(t.ahead is not None)}><span id=ahead>{ahead}</span> 人</dd></dl></section>'
        f'<section id=rating{hidden(t.can_rate)}>{_rating_form(uid)}</section>'
        f'<section id=rated{hidden(t.rated)}><p class=thanks>感谢您的评价！Thank you for your rating.</p></section>'
        + f'<p class=muted>大厅最后同步 Hall last synced: <span id=synced>{escape(t.last_update or "—")}</span>。'
        '<span id=live-note>本页自动更新 (updates by itself).</span></p>'
        f"<noscript><meta http-equiv=refresh content=15></noscript>"
        f"<script>const LIVE={_script_json({'url': poll_url, 'version': t.version, 'near': t.near, 'called': t.called})};"
        f"{_SCRIPT}</script>"
    )
    return page(f"{t.label} 排队状态", f"<style>{_LIVE_STYLE}</style>{body}")


def _script_json(value: object) -> str:
    """JSON safe inside a <script> element (no "</script>" can end it early)."""
    return json.dumps(value).replace("<", "\\u003c")


# Long polling: each answer is the ticket's state once it differs from `version` (or the same
# after ~25 s); a failed poll is retried after a few seconds. Vibrate on "almost" and on the call.
_SCRIPT = r"""
(function(){
const $=id=>document.getElementById(id);
let version=LIVE.version, near=LIVE.near, called=LIVE.called;
function buzz(p){try{if(navigator.vibrate)navigator.vibrate(p);}catch(e){}}
function show(id,on){const el=$(id);if(el)el.hidden=!on;}
function apply(t){
  $('label').textContent=t.label;$('state').textContent=t.state_text;
  $('window').textContent=t.window||'';$('window-en').textContent=t.window||'';
  $('ahead').textContent=t.ahead==null?'':t.ahead;show('ahead-term',t.ahead!=null);show('ahead-row',t.ahead!=null);
  show('call',t.called);show('near',t.near);show('offline',!t.online);$('last-update').textContent=t.last_update||'—';$('synced').textContent=t.last_update||'—';
  show('rating',t.can_rate);show('rated',t.rated);
  if(t.near&&!near)buzz([200,100,200]);
  if(t.called&&!called)buzz([500,200,500,200,500]);
  near=t.near;called=t.called;version=t.version;document.body.dataset.version=version;
}
async function poll(){
  for(;;){
    try{
      const r=await fetch(LIVE.url+'?v='+encodeURIComponent(version),{cache:'no-store'});
      if(r.status===404){$('live-note').textContent='号票已不存在 The ticket is gone.';return;}
      if(!r.ok)throw new Error(r.status);
      apply(await r.json());
    }catch(e){await new Promise(ok=>setTimeout(ok,3000));}
  }
}
document.body.dataset.version=version;
poll();
})();
"""
