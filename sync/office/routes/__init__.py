"""The office's routes, one FastAPI router per resource; sync/office/api.py includes them all.

    hall_sync   the halls' sync: hello, push, pull (and its wait), the tickets' high-water marks
    content     admin: publishing content records to halls
    halls       admin: the halls and when each was last in touch
    stats       admin: tickets per hall, business and day (JSON, and an HTML table for a browser)
    proposals   halls' edits of shared records, for office review
    public      the guides' pages (a kiosk's QR code) and the health check
    ratings     the live ticket page, the phone's 好差评, follow-ups and 满意率

What they depend on (session, tokens, settings) is in sync/office/deps.py; what several of them
declare alike is in sync/office/routes/common.py. The console's pages are one more router of the
same kind, beside its templates (sync/office/console/routes.py), added by its `install`.
"""
