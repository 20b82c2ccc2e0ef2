"""A call at a counter reaches the LED board: queue event -> board content -> protocol bytes
over a real socket -> the virtual controller's face shows it."""

from display.render import render_board
from kiosk.hall import Hall
from kiosk.services.board_feed import HallBoard


def shows(board, expected):
    return board.virtual.wait_for(lambda face: face == expected, timeout=10)


def test_a_call_appears_on_the_virtual_board(hall_config):
    hall = Hall(hall_config)
    queue = hall.queue
    board = HallBoard(hall)
    try:
        business = queue.businesses()[0]
        ticket = queue.issue_ticket(business.code)
        called = queue.call_next(1)
        assert called is not None and called.label == ticket.label
        board.feed.poke()
        # Wait for the feed to compose a board with this call, then for the controller to show it.
        assert board.virtual.wait_for(lambda _f: board.feed.last is not None and any(
            ticket.label in c.text for c in board.feed.last.values()), timeout=10)
        expected = render_board(board.feed.last, hall.config.board)
        assert shows(board, expected), "the virtual board never showed the composed content"
        assert board.status().connected
        assert board.status().bytes_sent > 0
    finally:
        board.close()
        hall.close()


def test_notices_valid_today_scroll_on_the_board(hall_config):
    from datetime import datetime, timedelta

    from kiosk.services.board_feed import notice_texts
    from sync.cache.models import Notice

    hall = Hall(hall_config)
    today = datetime.now(hall.tz).date()
    with hall.cache.transaction() as s:
        s.add(Notice(title="本周六正常办公", starts_on=today, ends_on=today))
        s.add(Notice(title="已过期的公示", starts_on=today - timedelta(days=9), ends_on=today - timedelta(days=1)))
        s.add(Notice(title="未发布的公示", starts_on=today, ends_on=today, published=False))
    texts = notice_texts(hall.cache, today)
    hall.close()
    assert "【公示】本周六正常办公" in texts
    assert not any("已过期" in t or "未发布" in t for t in texts)
