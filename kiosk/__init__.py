"""The hall app: resident kiosk, counter console and content editor.

`kiosk.services` is plain Python (queue rules, catalogue, editing, auth) that tests drive
without a screen; Qt lives only in `kiosk.ui` and `kiosk.app`.
"""
