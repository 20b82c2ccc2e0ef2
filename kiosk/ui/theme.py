"""Colours, sizes and the style sheet of the resident kiosk; large-text mode scales and recolours.

Sizes are in device pixels. A kiosk screen is 21.5"–43" at 1920 px across, i.e. 0.25–0.50 mm
per pixel, so TOUCH_TARGET_PX = 72 is at least 18 mm on the smallest of them (guideline ≥ 15 mm).
Large-text mode multiplies every text size by 1.5 and switches to a black/yellow/white high
contrast palette (WCAG AAA contrast for body text).
"""

from typing import NamedTuple

TOUCH_TARGET_PX = 72
LARGE_TEXT_SCALE = 1.5

# One calm colour per service area; the tile badge shows the area's first character on it.
AREA_COLOURS = ["#1f6fb2", "#2e8b57", "#c0392b", "#8e44ad", "#d35400", "#16838c", "#6d4c41", "#3949ab"]


class Theme(NamedTuple):  # not a dataclass: see kiosk/services/catalog_items.py
    large: bool = False
    scale: float = 1.0
    background: str = "#eef2f6"
    surface: str = "#ffffff"
    text: str = "#1b1f24"
    muted: str = "#4f5965"
    primary: str = "#0b5cad"
    on_primary: str = "#ffffff"
    ticket: str = "#c62828"  # 取号: the one warm colour, so it is easy to find
    on_ticket: str = "#ffffff"
    highlight_bg: str = "#ffe58a"
    highlight_fg: str = "#7a2e00"
    border: str = "#c9d2dc"
    online: str = "#2e7d32"
    offline: str = "#8a8f96"
    bar: str = "#0b3d75"
    on_bar: str = "#ffffff"
    border_px: int = 2

    def px(self, size: float) -> int:
        """A text size in pixels, scaled in large-text mode."""
        return int(round(size * self.scale))

    @property
    def touch(self) -> int:
        return max(TOUCH_TARGET_PX, int(TOUCH_TARGET_PX * (1 + (self.scale - 1) * 0.5)))

    def area_colour(self, index: int) -> str:
        return "#ffd400" if self.large else AREA_COLOURS[index % len(AREA_COLOURS)]


NORMAL = Theme()
LARGE = NORMAL._replace(
    large=True, scale=LARGE_TEXT_SCALE, background="#000000", surface="#111111", text="#ffffff",
    muted="#f0f0f0", primary="#ffd400", on_primary="#000000", ticket="#ffd400", on_ticket="#000000",
    highlight_bg="#ffd400", highlight_fg="#000000", border="#ffffff", online="#7CFC00", offline="#ffffff",
    bar="#000000", on_bar="#ffd400", border_px=3,
)


def theme_for(large: bool) -> Theme:
    return LARGE if large else NORMAL


def style_sheet(t: Theme) -> str:
    """The kiosk's style sheet; widgets pick rules through their `role` property."""
    return f"""
#kiosk, #screen {{ background: {t.background}; color: {t.text}; }}
QLabel {{ color: {t.text}; font-size: {t.px(26)}px; }}
QLabel[role="title"] {{ font-size: {t.px(44)}px; font-weight: bold; }}
QLabel[role="h2"] {{ font-size: {t.px(32)}px; font-weight: bold; color: {t.primary if t.large else t.bar}; }}
QLabel[role="muted"] {{ font-size: {t.px(22)}px; color: {t.muted}; }}
QLabel[role="body"] {{ font-size: {t.px(26)}px; }}
QLabel[role="strong"] {{ font-size: {t.px(26)}px; font-weight: bold; }}
QLabel[role="row-title"] {{ font-size: {t.px(30)}px; font-weight: bold; background: transparent; }}
QLabel[role="row-title-small"] {{ font-size: {t.px(24)}px; font-weight: bold; background: transparent; }}
QLabel[role="row-detail"] {{ font-size: {t.px(22)}px; color: {t.muted}; background: transparent; }}
QLabel[role="row-detail-small"] {{ font-size: {t.px(20)}px; color: {t.muted}; background: transparent; }}
QLabel[role="field"] {{ font-size: {t.px(24)}px; color: {t.muted}; font-weight: bold; }}
QLabel[role="big-number"] {{ font-size: 150px; font-weight: bold; color: {t.ticket}; }}
QLabel[role="hall"] {{ font-size: {t.px(30)}px; font-weight: bold; color: {t.on_bar}; }}
QLabel[role="bar"] {{ font-size: {t.px(24)}px; color: {t.on_bar}; }}
QLabel[role="badge"] {{ font-size: {t.px(20)}px; color: {t.on_primary}; background: {t.primary};
    border-radius: 8px; padding: 2px 10px; }}
QLabel[role="box"] {{ border: {t.border_px + 1}px solid {t.text}; border-radius: 4px; background: {t.surface}; }}
QLabel[role="countdown"] {{ font-size: {t.px(34)}px; font-weight: bold; color: {t.on_primary};
    background: {t.primary}; border-radius: 16px; padding: 24px 40px; }}
QLabel[role="cell"] {{ font-size: {t.px(24)}px; padding: 6px 12px; border-bottom: 1px solid {t.border}; }}
QLabel[role="cell-head"] {{ font-size: {t.px(24)}px; font-weight: bold; padding: 6px 12px; color: {t.on_bar};
 background: {t.bar}; }}
QLabel[role="error"] {{ font-size: {t.px(24)}px; color: {"#ff8a80" if t.large else "#b71c1c"}; }}
#topbar {{ background: {t.bar}; border-bottom: {t.border_px}px solid {t.border if t.large else t.bar}; }}
#navbar {{ background: {t.surface}; border-top: {t.border_px}px solid {t.border}; }}
QFrame[role="card"] {{ background: {t.surface}; border: {t.border_px}px solid {t.border}; border-radius: 14px; }}
QFrame[role="overlay"] {{ background: rgba(0, 0, 0, 150); }}
QFrame[role="dialog"] {{ background: {t.surface}; border: {t.border_px + 1}px solid {t.border};
    border-radius: 18px; }}
QPushButton {{ min-height: {t.touch}px; min-width: {t.touch}px; font-size: {t.px(26)}px;
    color: {t.text}; background: {t.surface}; border: {t.border_px}px solid {t.border};
    border-radius: 12px; padding: 6px 18px; }}
QPushButton:pressed {{ background: {t.highlight_bg}; color: {t.highlight_fg}; }}
QPushButton:disabled {{ color: {t.muted}; border-style: dashed; }}
QPushButton[role="primary"] {{ background: {t.primary}; color: {t.on_primary}; border-color: {t.primary};
    font-weight: bold; }}
QPushButton[role="ticket"] {{ background: {t.ticket}; color: {t.on_ticket}; border-color: {t.ticket};
    font-weight: bold; font-size: {t.px(34)}px; min-height: {max(t.touch * 2, t.px(110))}px; }}
QPushButton[role="bar"] {{ background: transparent; color: {t.on_bar}; border: {t.border_px}px solid {t.on_bar};
    font-size: {t.px(22)}px; padding: 4px 14px; }}
QPushButton[role="bar"]:checked {{ background: {t.on_bar}; color: {t.bar}; }}
QPushButton[role="field"] {{ text-align: left; font-size: {t.px(30)}px; padding-left: 20px; }}
QPushButton[role="field"]:checked {{ background: {t.highlight_bg}; color: {t.highlight_fg};
    border: {t.border_px + 3}px solid {t.primary}; font-weight: bold; }}
QPushButton[role="tile"], QPushButton[role="row"], QPushButton[role="area-tile"],
QPushButton[role="business-tile"] {{ text-align: left; padding: 10px 22px; }}
QPushButton[role="area-tile"] {{ min-height: {max(t.touch, 190 if t.large else 150)}px; }}
QPushButton[role="business-tile"] {{ min-height: {max(t.touch, 140)}px; }}
QPushButton[role="key"] {{ font-size: {t.px(32)}px; font-weight: bold; padding: 0px; border-radius: 10px;
    min-width: {TOUCH_TARGET_PX}px; }}
QPushButton[role="search"] {{ text-align: left; color: {t.muted}; font-size: {t.px(28)}px;
    border: {t.border_px + 1}px solid {t.primary}; border-radius: 18px; padding-left: 24px;
    min-height: {int(t.touch * 1.25)}px; }}
QPushButton[role="candidate"] {{ font-size: {t.px(34)}px; padding: 0px; border-radius: 10px; }}
QPushButton[role="mode"] {{ padding: 0px 14px; }}
QPushButton[role="mode"]:checked {{ background: {t.primary}; color: {t.on_primary}; border-color: {t.primary}; }}
QLineEdit {{ min-height: {t.touch}px; font-size: {t.px(34)}px; color: {t.text}; background: {t.surface};
    border: {t.border_px + 1}px solid {t.primary}; border-radius: 18px; padding: 0 20px; }}
QScrollArea {{ background: transparent; border: none; }}
QScrollArea > QWidget > QWidget {{ background: transparent; }}
QScrollBar:vertical {{ width: {t.touch}px; background: {t.background}; }}
QScrollBar::handle:vertical {{ background: {t.muted}; border-radius: 10px; min-height: 80px; }}
QScrollBar::add-line:vertical, QScrollBar::sub-line:vertical {{ height: 0px; }}
"""


def highlight_html(text: str, spans: tuple[tuple[int, int], ...] | list[tuple[int, int]], t: Theme) -> str:
    """`text` as rich text with the matched characters marked (escaped; spans are char offsets)."""
    from html import escape

    out: list[str] = []
    pos = 0
    for start, end in sorted(spans):
        start, end = max(start, pos), min(end, len(text))
        if start >= end:
            continue
        out.append(escape(text[pos:start]))
        out.append(f'<span style="background:{t.highlight_bg}; color:{t.highlight_fg};">'
                   f"{escape(text[start:end])}</span>")
        pos = end
    out.append(escape(text[pos:]))
    return "".join(out)
