"""Talking to systemd (sd_notify): READY=1 when the hall serves, WATCHDOG=1 while its GUI turns.

yizhan-hall.service has Type=notify and WatchdogSec=: systemd restarts the hall app when the
pings stop. They are sent from the GUI thread (kiosk/ui/service_watch.py), so a screen frozen
by a stuck slot is restarted too, not only a dead process. The app runs under xinit, not as the
unit's main process, so WATCHDOG_PID (xinit's) is not required to match (NotifyAccess=all).
Without NOTIFY_SOCKET (a terminal, Windows, tests) every call does nothing.
"""

from __future__ import annotations

import os
import socket


def notify(message: str) -> bool:
    """Send `message` (e.g. "READY=1") to the service manager; False when there is none."""
    address = os.environ.get("NOTIFY_SOCKET", "")
    if not address or not hasattr(socket, "AF_UNIX"):
        return False
    if address.startswith("@"):  # an abstract socket
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
            s.connect(address)
            s.sendall(message.encode())
        return True
    except OSError:
        return False


def watchdog_interval_s() -> float | None:
    """How often to ping: a third of WatchdogSec, or None when no watchdog is set."""
    try:
        usec = int(os.environ.get("WATCHDOG_USEC", "0"))
    except ValueError:
        return None
    return usec / 3e6 if usec > 0 else None
