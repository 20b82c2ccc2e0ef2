"""Screenshot of the virtual LED board as the hall app drives it (embedded default only)."""

from display.render import render_board
from kiosk.ui.screenshots import ShotContext, settle, shot


@shot("board")
def board(ctx: ShotContext):  # type: ignore[no-untyped-def]
    widget = ctx.windows.get("board")
    if widget is None:  # a real board is configured: nothing on this screen to show
        return ctx.windows["kiosk"]
    feed = ctx.hall.board.feed
    feed.poke()
    virtual = ctx.hall.board.virtual
    # Wait until the controller shows what the feed composed (it arrives over the serial protocol).
    virtual.wait_for(lambda face: feed.last is not None and face == render_board(feed.last, feed.config), 10)
    widget.refresh()
    settle(150)
    return widget
