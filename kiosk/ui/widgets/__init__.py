"""Reusable kiosk widgets: QR code, on-screen keyboard, tiles and small layout helpers."""
