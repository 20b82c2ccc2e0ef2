"""The hall's LED queue board: board content, pixel rendering, controller protocols, serial link.

Plain Python; Qt only in the simulator's window. Never imports `kiosk`.
"""
