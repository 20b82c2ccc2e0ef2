"""The embedded office: `python -m sync.office.embedded DATA_DIR` runs an office on loopback
(SQLite in DATA_DIR) for a hall that has no office configured.

On first start it registers one hall and publishes the bundled sample content to it. The
hall's token is kept in DATA_DIR/hall-token (only readable by the user) so a restart finds
it again. When the server listens it prints one JSON line {"url": ..., "token": ...} on
stdout; it exits when its stdin closes (the hall app ended, however it ended).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sys
import threading
from pathlib import Path

from sqlalchemy import func, select

from sync.office import store
from sync.office.config import OfficeConfig
from sync.office.db import OfficeDB
from sync.office.models import ContentRecord, Hall

HALL_CODE = "local"


def prepare(data_dir: Path) -> str:
    """Create the database, the local hall and the sample content if missing; return the token."""
    data_dir.mkdir(parents=True, exist_ok=True)
    token_file = data_dir / "hall-token"
    db = OfficeDB(f"sqlite:///{data_dir / 'office.sqlite3'}")
    try:
        with db.sessions.begin() as s:
            hall = s.scalar(select(Hall).where(Hall.code == HALL_CODE))
            token = token_file.read_text().strip() if token_file.exists() else ""
            if hall is None:
                hall, token = store.add_hall(s, "本大厅 This hall", HALL_CODE)
            elif not token or hall.token_hash != store.hash_token(token):
                token = store.new_hall_token(s, HALL_CODE)
            if not s.scalar(select(func.count()).select_from(ContentRecord)):
                from sync.content_files import SAMPLE_DIR
                from sync.office.server import bundle_records

                store.publish(s, bundle_records(SAMPLE_DIR), "all", author="sample")
        fd = os.open(token_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(token)
    finally:
        db.close()
    return token


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s office: %(message)s")
    data_dir = Path(argv[0])
    token = prepare(data_dir)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", int(argv[1]) if len(argv) > 1 else 0))
    except OSError:  # the usual port is taken (another hall app, a test): any free port will do
        sock.bind(("127.0.0.1", 0))
    sock.listen(128)  # connections wait in the backlog until uvicorn accepts them
    port = sock.getsockname()[1]
    config = OfficeConfig()
    config.database.url = f"sqlite:///{data_dir / 'office.sqlite3'}"
    config.server.port = port
    url = f"http://127.0.0.1:{port}"

    def watch_parent() -> None:
        sys.stdin.read()  # returns at EOF: the hall app is gone
        os._exit(0)

    threading.Thread(target=watch_parent, daemon=True).start()
    print(json.dumps({"url": url, "token": token}), flush=True)
    from sync.office.server import serve

    serve(config, sock=sock)
    return 0


if __name__ == "__main__":
    sys.exit(main())
