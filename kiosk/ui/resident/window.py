"""The kiosk window: top bar, the screens, the back/home bar, idle reset, lockdown, staff exit."""

from __future__ import annotations

import importlib
import logging
import threading
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication as Q
from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QMouseEvent, QResizeEvent
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk.i18n import LanguageSwitch
from kiosk.startup import KioskSettings, StartupSnapshot
from kiosk.ui.first_paint import after_first_paint
from kiosk.ui.resident.common import Screen, clock_text, english, label
from kiosk.ui.resident.home import HomeScreen
from kiosk.ui.resident.idle import IdleWatcher
from kiosk.ui.resident.lockdown import Lockdown
from kiosk.ui.resident.tap_gesture import TapGesture
from kiosk.ui.tasks import tasks
from kiosk.ui.theme import Theme, style_sheet, theme_for

if TYPE_CHECKING:
    from kiosk.hall import Hall

if TYPE_CHECKING:
    from kiosk.ui.resident.staff import StaffOverlay

log = logging.getLogger(__name__)


class HallNameLabel(QLabel):
    """The hall's name in the corner; also the hidden staff gesture's target."""

    tapped = Signal()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.tapped.emit()
        super().mousePressEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        # Quick taps on a real screen: Qt turns every second press into a double click.
        self.tapped.emit()
        super().mouseDoubleClickEvent(event)


# Every screen but home is imported when first opened: their modules pull in the search index,
# QR codes and the queue, which the first home screen must not wait for.
SCREEN_MODULES = {"category": "kiosk.ui.resident.category", "guide": "kiosk.ui.resident.guide",
                  "search": "kiosk.ui.resident.search", "ticket": "kiosk.ui.resident.ticket",
                  "notice": "kiosk.ui.resident.notice", "gongshi": "kiosk.ui.resident.gongshi"}


def screen_class(name: str) -> type[Screen]:
    if name == HomeScreen.name:
        return HomeScreen
    module = importlib.import_module(SCREEN_MODULES[name])
    return next(cls for cls in vars(module).values()
                if isinstance(cls, type) and issubclass(cls, Screen) and cls.name == name)


class Screens(dict[str, Screen]):
    """The kiosk's screens, each built the first time it is needed: the home screen paints
    sooner, and nobody waits for a keyboard or a guide layout they have not asked for."""

    def __init__(self, window: KioskWindow):
        super().__init__()
        self.window = window

    def __missing__(self, name: str) -> Screen:
        screen = screen_class(name)(self.window)
        self[name] = screen
        self.window.stack.addWidget(screen)
        return screen


class KioskWindow(QMainWindow):
    """The resident kiosk. Built on a `Hall`, or first on a start-up snapshot alone (`early`):
    then it shows the home screen at once and `attach(hall)` brings in the live services."""

    def __init__(self, hall: Hall | None = None, *, early: StartupSnapshot | None = None, orientation: str | None = None,
                 catalog: Any = None, queue: Any = "default", auth: Any = "default", lockdown: bool = True,
                 pinyin_process: bool = True):
        super().__init__()
        if hall is None and early is None:
            raise TypeError("KioskWindow needs a hall or a start-up snapshot")
        self.hall: Hall | None = None
        self.settings = early.settings if hall is None else KioskSettings.of(hall.config)
        # The hall's zone; from a snapshot, its saved offset until attach() (see StartupSnapshot.zone).
        self.tz: tzinfo = early.zone() if hall is None else hall.tz
        self.orientation = orientation or self.settings.orientation
        self.catalog: Any = early.home if hall is None else None  # until attach(): the snapshot's home
        self.queue: Any = None
        self._auth = auth
        self._pinyin_process = pinyin_process
        self.large = False
        self.theme: Theme = theme_for(False)
        self.languages = LanguageSwitch.for_app(QApplication.instance())
        self.history: list[tuple[str, dict[str, Any]]] = []
        self._allow_close = False
        self.setWindowTitle(f"一站 · {self.settings.hall_name}")
        # New content is announced on the sync worker's thread. Only a flag crosses threads; the
        # clock tick (GUI thread) picks it up, so no Qt object is touched off the GUI thread.
        self._content_changed = threading.Event()
        if hall is not None:
            self._connect(hall, catalog, queue)

        central = QWidget()
        central.setObjectName("kiosk")
        central.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setCentralWidget(central)
        root = QVBoxLayout(central)
        root.setContentsMargins(0, 0, 0, 0)
        root.setSpacing(0)
        root.addWidget(self._top_bar())
        self.stack = QStackedWidget()
        root.addWidget(self.stack, 1)
        root.addWidget(self._nav_bar())

        self.screens = Screens(self)

        self.countdown = label("", "countdown", wrap=False)
        self.countdown.setObjectName("idle-countdown")
        self.countdown.setParent(central)
        self.countdown.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.countdown.hide()
        self._staff: StaffOverlay | None = None
        self.gesture = TapGesture()
        self.gesture.triggered.connect(lambda: self.staff.open())
        self.hall_label.tapped.connect(self.gesture.tap)

        self.idle = IdleWatcher(self, self.settings.idle_seconds, busy=lambda: not self.is_pristine())
        self.idle.countdown.connect(self._show_countdown)
        self.idle.expired.connect(self._idle_expired)
        self.lockdown = Lockdown(self)
        self.kiosk_mode = lockdown  # locked down whenever no staff member is at it
        self.staff_session: Any = None  # who let it out of kiosk mode, until it locks again
        self.editor_window: Any = None
        if lockdown:
            self._set_kiosk_flags()

        self.clock_timer = QTimer(self)
        self.clock_timer.timeout.connect(self._tick)
        self.clock_timer.start(1000)
        self.status_timer = QTimer(self)
        self.status_timer.timeout.connect(self._update_online)
        self.status_timer.start(5000)

        self.set_language(self.settings.language, refresh=False)
        self.set_large_text(self.settings.large_text, refresh=False)
        self.go("home", remember=False)
        # The application-wide input filters (idle reset, lockdown keys) make every event cross
        # into Python, which costs the first paint some 20 ms: from a snapshot, where the first
        # paint is the point, they start right after it (before anyone can touch the screen).
        if early is not None:
            after_first_paint(self.screens["home"], lambda: self._watch_input(lockdown))
        else:
            self._watch_input(lockdown)

    def _watch_input(self, lockdown: bool) -> None:
        self.idle.start()
        if lockdown:
            self.lockdown.engage()

    @property
    def config(self) -> Any:  # kiosk.config.HallConfig, once a hall is attached
        return self.hall.config if self.hall is not None else None

    def _connect(self, hall: Hall, catalog: Any, queue: Any) -> None:
        from kiosk.services.catalog import Catalog

        self.hall = hall
        # The index loads pinyin in a helper process, so the kiosk keeps ~55 MB less all day.
        self.catalog = catalog or Catalog(hall.cache, hall.events, lazy_index=True,
                                          pinyin_process=self._pinyin_process)
        # The hall's queue, the counters' too (the editor's preview has none: it issues no ticket).
        self.queue = hall.queue if queue == "default" else queue
        self.catalog.on_changed(self._content_changed.set)
        # Pinyin and the search index load while the resident looks at the home screen.
        QTimer.singleShot(0, self.catalog.build_index_in_background)

    def attach(self, hall: Hall, *, catalog: Any = None, queue: Any = "default") -> None:
        """The live hall, after a first paint from the snapshot: its catalogue replaces the
        snapshot's, and the home screen is redrawn only if what it shows has changed."""
        shown = self.catalog
        self._connect(hall, catalog, queue)
        settings = KioskSettings.of(hall.config)
        self.tz = hall.tz
        if settings != self.settings:  # the snapshot was of an older config: follow the live one
            log.info("kiosk settings differ from the start-up snapshot; applying the config's")
            self.settings = settings
            self.orientation = settings.orientation
            self.idle.set_seconds(settings.idle_seconds)
            self.setWindowTitle(f"一站 · {settings.hall_name}")
            self.hall_label.setText(settings.hall_name)
            self.reset_session()
        else:
            today = datetime.now(self.tz).date()
            if (shown.categories(), shown.notices(today)) != (self.catalog.categories(), self.catalog.notices(today)):
                self.current().refresh()
        self._update_online()

    @property
    def staff(self) -> StaffOverlay:
        """The staff PIN overlay, built the first time the hidden gesture asks for it."""
        if self._staff is None:
            from kiosk.ui.resident.staff import StaffOverlay

            self._staff = StaffOverlay(self.centralWidget(), self.auth, unlocked=self.unlocked)
            self._staff.relock.connect(self.return_to_kiosk_mode)
            self._staff.exit_kiosk.connect(self.leave_kiosk_mode)
            self._staff.close_app.connect(self.close_app)
            self._staff.open_editor.connect(self.open_editor)
        return self._staff

    def _staff_visible(self) -> bool:
        return self._staff is not None and self._staff.isVisible()

    # --- services ------------------------------------------------------------------------------

    def auth(self) -> Any:
        if self._auth == "default":  # the hall's accounts (one lockout count for every sign-in screen)
            return self.hall.auth if self.hall is not None else None
        return self._auth

    # --- bars ----------------------------------------------------------------------------------

    def _top_bar(self) -> QWidget:
        bar = QWidget()
        bar.setObjectName("topbar")
        bar.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.hall_label = HallNameLabel(self.settings.hall_name)
        self.hall_label.setObjectName("hall-name")
        self.hall_label.setProperty("role", "hall")
        self.clock_label = label("", "bar", wrap=False)
        self.clock_label.setObjectName("clock")
        self.online_label = label("", "bar", wrap=False)
        self.online_label.setObjectName("online")
        self.large_button = QPushButton()
        self.large_button.setObjectName("large-text")
        self.large_button.setProperty("role", "bar")
        self.large_button.setCheckable(True)
        self.large_button.clicked.connect(lambda: self.set_large_text(not self.large))
        self.language_button = QPushButton()
        self.language_button.setObjectName("language")
        self.language_button.setProperty("role", "bar")
        self.language_button.clicked.connect(
            lambda: self.set_language("zh_CN" if self.language == "en" else "en"))
        rows = QVBoxLayout(bar)
        rows.setContentsMargins(28, 10, 20, 10)
        rows.setSpacing(8)
        first = QHBoxLayout()
        first.setSpacing(18)
        rows.addLayout(first)
        first.addWidget(self.hall_label)
        first.addStretch(1)
        first.addWidget(self.clock_label)
        # A portrait screen (1080 px) cannot hold the name, the date and the buttons on one line
        # in large text: there the status and the buttons take a second line.
        second = QHBoxLayout() if self.orientation == "portrait" else first
        second.setSpacing(18)
        if second is not first:
            rows.addLayout(second)
        second.addStretch(1)
        # Only while staff have let the kiosk out of kiosk mode: one tap locks it again.
        self.relock_button = QPushButton()
        self.relock_button.setObjectName("relock")
        self.relock_button.setProperty("role", "bar")
        self.relock_button.clicked.connect(self.return_to_kiosk_mode)
        self.relock_button.hide()
        second.addWidget(self.relock_button)
        second.addWidget(self.online_label)
        second.addWidget(self.large_button)
        second.addWidget(self.language_button)
        return bar

    def _nav_bar(self) -> QWidget:
        bar = QWidget()
        bar.setObjectName("navbar")
        bar.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        row = QHBoxLayout(bar)
        row.setContentsMargins(28, 10, 28, 10)
        row.setSpacing(18)
        self.back_button = QPushButton()
        self.back_button.setObjectName("back")
        self.back_button.clicked.connect(self.back)
        self.home_button = QPushButton()
        self.home_button.setObjectName("home")
        self.home_button.clicked.connect(self.home)
        self.nav_search_button = QPushButton()
        self.nav_search_button.setObjectName("nav-search")
        self.nav_search_button.clicked.connect(lambda: self.go("search"))
        self.nav_ticket_button = QPushButton()
        self.nav_ticket_button.setObjectName("nav-ticket")
        self.nav_ticket_button.setProperty("role", "primary")
        self.nav_ticket_button.clicked.connect(lambda: self.go("ticket"))
        for b in (self.back_button, self.home_button):
            b.setMinimumWidth(220)
            row.addWidget(b)
        row.addStretch(1)
        for b in (self.nav_search_button, self.nav_ticket_button):
            b.setMinimumWidth(220)
            row.addWidget(b)
        self.nav_bar = bar
        return bar

    def _retranslate_bars(self) -> None:
        self.back_button.setText("←  " + Q.translate("Kiosk", "返回"))
        self.home_button.setText("⌂  " + Q.translate("Kiosk", "首页"))
        self.nav_search_button.setText("⌕  " + Q.translate("Kiosk", "搜索"))
        self.nav_ticket_button.setText(Q.translate("Kiosk", "取号"))
        self.relock_button.setText(Q.translate("Kiosk", "返回自助模式"))
        self.large_button.setText(Q.translate("Kiosk", "标准字体") if self.large else Q.translate("Kiosk", "大字模式"))
        self.large_button.setChecked(self.large)
        # The language button names the other language in that language: residents can read it.
        self.language_button.setText("中文" if self.language == "en" else "English")
        self._tick()
        self._update_online()

    def _tick(self) -> None:
        self.clock_label.setText(clock_text(datetime.now(self.tz), english(self)))
        if self._content_changed.is_set():
            self._content_changed.clear()
            self._reload_content()

    def _update_online(self) -> None:
        if self.hall is None or self.hall.sync_starting:  # starting: nothing to say yet
            self.online_label.setText("")
            return
        sync = self.hall.sync
        if sync is None:
            self.online_label.setText("○ " + Q.translate("Kiosk", "本机运行"))
            return
        try:
            online = bool(getattr(sync.status(), "online", False))
        except Exception:  # a status read must never disturb the kiosk
            log.debug("sync status unavailable", exc_info=True)
            online = False
        self.online_label.setText("● " + Q.translate("Kiosk", "已联网") if online
                                  else "○ " + Q.translate("Kiosk", "离线运行"))

    # --- navigation ----------------------------------------------------------------------------

    def current(self) -> Screen:
        return self.stack.currentWidget()  # type: ignore[return-value]

    def go(self, name: str, *, remember: bool = True, **params: Any) -> None:
        if self.hall is None and name != "home":
            return  # drawn from the snapshot, the hall not attached yet: only the home exists
        screen = self.screens[name]
        if remember and self.stack.currentWidget() is not None:
            cur = self.current()
            self.history.append((cur.name, dict(cur.params)))
            del self.history[:-20]
        screen.open(**params)
        self.stack.setCurrentWidget(screen)
        # The stack's minimum size is its largest page's: only the screen on show may count, or a
        # tall home (which has no nav bar) would push another screen's nav bar off the screen.
        for page in self.screens.values():
            policy = QSizePolicy.Policy.Preferred if page is screen else QSizePolicy.Policy.Ignored
            page.setSizePolicy(policy, policy)
        self.stack.updateGeometry()  # the window's layout caches the stack's old minimum otherwise
        self.nav_bar.setVisible(name != "home")
        self.nav_ticket_button.setVisible(name not in ("ticket",))
        self.nav_search_button.setVisible(name != "search")

    def back(self) -> None:
        if not self.history:
            self.home()
            return
        name, params = self.history.pop()
        self.go(name, remember=False, **params)

    def home(self) -> None:
        """Home by hand clears what the resident typed, as the idle return does."""
        self.history.clear()
        search = self.screens.get("search")
        if search is not None:
            search.reset()
        self.go("home", remember=False)

    def is_pristine(self) -> bool:
        """Nothing a next resident should not see: home, defaults, no search text, no dialog."""
        search = self.screens.get("search")
        return (self.current().name == "home" and not (search is not None and search.field.text())
                and self.language == self.settings.language and self.large == self.settings.large_text
                and not self._staff_visible() and not self.unlocked())

    def _idle_expired(self) -> None:
        if self.unlocked():  # staff left it out of kiosk mode and went: lock it again
            self.return_to_kiosk_mode()
        else:
            self.reset_session()

    def reset_session(self) -> None:
        """The resident left: clear what they did and go home in the default language and size."""
        log.info("kiosk idle: back to the home screen")
        if self._staff is not None:
            self._staff.close_overlay()
        for screen in self.screens.values():
            screen.reset()
        self.history.clear()
        if self.language != self.settings.language:
            self.set_language(self.settings.language, refresh=False)
        if self.large != self.settings.large_text:
            self.set_large_text(self.settings.large_text, refresh=False)
        self.go("home", remember=False)
        if self.hall is not None:  # the guides' view counts: a write, so off the GUI thread
            tasks().run(self.catalog.flush_views)

    # --- language and text size ----------------------------------------------------------------

    @property
    def language(self) -> str:
        return self.languages.language  # one translator per application: shared by every window

    def set_language(self, language: str, *, refresh: bool = True) -> None:
        self.languages.set_language(language)
        self._rendered_language = self.language
        self._retranslate_bars()
        if refresh:
            self.current().refresh()

    def set_large_text(self, on: bool, *, refresh: bool = True) -> None:
        self.large = on
        self.theme = theme_for(on)
        self.centralWidget().setStyleSheet(style_sheet(self.theme))
        self._retranslate_bars()
        if refresh:
            self.current().refresh()

    def _reload_content(self) -> None:
        """The catalogue changed (editor or office): redraw what is on screen."""
        self.current().refresh()

    # --- idle countdown ------------------------------------------------------------------------

    def _show_countdown(self, seconds: int) -> None:
        if seconds < 0:
            self.countdown.hide()
            return
        self.countdown.setText(Q.translate("Kiosk", "无人操作，%n 秒后返回首页 · 点击屏幕继续使用", None, seconds))
        self.countdown.ensurePolished()  # the style sheet's padding counts in the size
        self.countdown.adjustSize()
        self._place_overlays()
        self.countdown.show()
        self.countdown.raise_()

    def _place_overlays(self) -> None:
        area = self.centralWidget().rect()
        c = self.countdown
        c.move((area.width() - c.width()) // 2, area.height() - c.height() - 140)
        if self._staff_visible():
            self.staff.setGeometry(area)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._place_overlays()

    # --- lockdown and staff exit ---------------------------------------------------------------

    def _set_kiosk_flags(self) -> None:
        self.setWindowFlags(self.windowFlags() | Qt.WindowType.FramelessWindowHint
                            | Qt.WindowType.WindowStaysOnTopHint)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.PreventContextMenu)

    def keep_on_top(self) -> None:
        """Locked down, the kiosk is above every other window of the app (see window_roles.py)."""
        self.lockdown.keep_on_top()

    def unlocked(self) -> bool:
        """Let out of kiosk mode by staff, and not locked again yet."""
        return self.kiosk_mode and not self.lockdown.active

    def leave_kiosk_mode(self, session: object = None) -> None:
        """Staff only: back to a normal window that can be moved and closed, until they return
        it to kiosk mode, close the editor, or leave it untouched for the idle time."""
        log.info("leaving kiosk mode")
        self.staff_session = session
        self.lockdown.release()
        self.idle.any_window = True  # staff working in the editor are not idle
        self._allow_close = True
        self.setWindowFlags(self.windowFlags() & ~Qt.WindowType.FramelessWindowHint
                            & ~Qt.WindowType.WindowStaysOnTopHint)
        self.relock_button.setVisible(self.kiosk_mode)
        self.showNormal()

    def return_to_kiosk_mode(self) -> None:
        """Locked again: frameless, full screen, on top, escape keys off, the resident's home."""
        if not self.unlocked():
            return
        log.info("back to kiosk mode")
        self.staff_session = None
        self._allow_close = False
        self.idle.any_window = False
        self.relock_button.hide()
        self._set_kiosk_flags()
        self.reset_session()
        self.show_kiosk()
        self.lockdown.engage()

    def open_editor(self, session: object) -> None:
        """Staff with content rights: the content editor in its own window, kiosk mode left
        until the editor closes."""
        from kiosk.ui.editor import open_editor

        self.leave_kiosk_mode(session)
        self.editor_window = open_editor(self.hall, session)
        closed = getattr(self.editor_window, "closed", None)
        if closed is not None:
            closed.connect(self._editor_closed)
        self.editor_window.resize(1440, 900)
        self.editor_window.show()
        self.editor_window.raise_()

    def _editor_closed(self) -> None:
        self.editor_window = None
        self.return_to_kiosk_mode()

    def show_kiosk(self) -> None:
        if self.settings.fullscreen:
            self.showFullScreen()
        else:
            self.show()

    def shutdown(self) -> None:
        """Stop timers and filters and close for good (app exit, tests)."""
        self._allow_close = True
        self.idle.stop()
        self.lockdown.release()
        self.languages.set_language("zh_CN")  # take our translator off the application
        self.clock_timer.stop()
        self.status_timer.stop()
        if self.hall is not None:  # here, not on the task runner: its daemon workers would not outlive the exit
            self.catalog.flush_views()
        self.close()

    def close_app(self) -> None:
        self._allow_close = True
        self.lockdown.release()
        QApplication.instance().quit()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.lockdown.active and not self._allow_close:
            event.ignore()  # Alt+F4 / the window manager's close: the kiosk stays
            return
        self.idle.stop()
        self.lockdown.release()
        super().closeEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        # Another kiosk window switched the application's language: follow it.
        if (event.type() == QEvent.Type.LanguageChange
                and getattr(self, "_rendered_language", None) not in (None, self.language)):
            self._rendered_language = self.language
            self._retranslate_bars()
            self.current().refresh()
        # Someone minimised the kiosk (or a WM shortcut did): put it back.
        if (event.type() == QEvent.Type.WindowStateChange and self.lockdown.active
                and self.windowState() & Qt.WindowState.WindowMinimized):
            QTimer.singleShot(0, self.show_kiosk)
        super().changeEvent(event)
