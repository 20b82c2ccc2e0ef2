"""The resident query kiosk (政策及工作流程查询机): screens, lockdown, idle reset, staff exit."""

from kiosk.ui.resident.none_guard import protect_none

protect_none()  # PySide6 6.12.0 + Python 3.11: see none_guard.py
