"""A 256x64 layout with 12 px lines (the old default): fine for Alpha and picture cards,
which draw with the PC's pixel fonts, and used by the tests that pin 12 px geometry."""

from display.config import AreaConfig, BoardConfig


def areas_12px(colours: int = 1) -> list[AreaConfig]:
    dual = colours == 2

    def area(name, kind, x, y, w, h, colour, **kw):
        return AreaConfig(name=name, kind=kind, x=x, y=y, width=w, height=h, colour=colour if dual else "red", **kw)

    return [
        area("title", "title", 0, 0, 176, 16, "amber", align="center"),
        area("clock", "clock", 176, 0, 80, 16, "green", font_px=12, align="right", overflow="cut"),
        area("calls", "calls", 0, 16, 256, 24, "red", font_px=12, rows=2, columns=2, effect="flash"),
        area("waiting", "waiting", 0, 40, 256, 12, "green", font_px=12),
        area("notice", "notice", 0, 52, 256, 12, "amber", font_px=12, effect="scroll"),
    ]


def board_12px(**kw) -> BoardConfig:
    """A 256x64 board with the 12 px layout (`kw`: other board settings)."""
    return BoardConfig(width=256, height=64, areas=areas_12px(kw.get("colours", 1)), **kw)
