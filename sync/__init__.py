"""Local cache and offline-first sync with the street office. Never imports `kiosk`."""
