"""The 暂停服务 screen residents and staff see after repeated crashes."""

from kiosk.runs import Paused
from kiosk.ui.paused import PausedScreen


def test_paused_screen_tells_residents_where_to_go_and_staff_why(qtbot, tmp_path):
    screen = PausedScreen(Paused(3, "OSError: [Errno 28] No space left on device", 420), "幸福社区工作站")
    qtbot.addWidget(screen)
    screen.resize(1920, 1080)
    screen.show()
    texts = {label.objectName(): label.text() for label in screen.findChildren(type(screen.findChild(object, "title")))}
    assert texts["title"] == "暂停服务"
    assert "请到窗口办理" in texts["advice"] and "幸福社区工作站" in texts["advice"]
    assert "3 times" in texts["staff"] and "No space left on device" in texts["staff"] and "about 7 min" in texts["staff"]
    assert screen.grab().save(str(tmp_path / "paused.png"))
