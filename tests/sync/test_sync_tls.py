"""TLS with the street office's own CA: the hall trusts exactly the CA file it is given."""

from __future__ import annotations

import subprocess

import pytest

from kiosk.config import OfficeSection
from sync.client import SyncError, sync_worker_for
from sync.office import store
from sync.office.api import create_app
from tests.sync.office_world import ServerThread, TicketMaker, office_tickets, record_apply


def make_certs(d) -> tuple[str, str, str]:
    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True, timeout=60)

    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
        "-subj", "/CN=Yizhan Test Street Office CA")
    run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "srv.key", "-out", "srv.csr", "-subj", "/CN=127.0.0.1")
    (d / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n")
    run("x509", "-req", "-in", "srv.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "srv.pem",
        "-days", "2", "-extfile", "ext.cnf")
    return str(d / "ca.pem"), str(d / "srv.pem"), str(d / "srv.key")


def test_custom_ca(tmp_path, office_db_factory, make_cache):
    ca, cert, key = make_certs(tmp_path)
    db = office_db_factory("sqlite")
    with db.sessions.begin() as s:
        _hall, token = store.add_hall(s, "幸福", "xingfu")
    server = ServerThread(create_app(db), ssl_certfile=cert, ssl_keyfile=key).start()
    try:
        cache = make_cache()
        TicketMaker(cache).issue(events=2)
        untrusting = sync_worker_for(cache, OfficeSection(url=server.url, token=token), url=server.url,
                                     token=token, apply_content=record_apply)
        with pytest.raises(SyncError, match="SSL"):
            untrusting.sync_once()
        trusting = sync_worker_for(cache, OfficeSection(url=server.url, token=token, ca_file=ca), url=server.url,
                                   token=token, apply_content=record_apply)
        assert trusting.sync_once().pushed == 2
        assert len(office_tickets(db)) == 1
        trusting.http.close()
        untrusting.http.close()
    finally:
        server.stop()
