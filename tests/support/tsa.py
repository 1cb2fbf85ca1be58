"""A test time-stamping authority on loopback: RFC 3161 over HTTP, answered in-process by
pyHanko's DummyTimeStamper with the test PKI's TSA certificate (for PAdES B-T)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from asn1crypto import tsp

from kho.demo.pki import TestPKI


@contextmanager
def serve_tsa(pki: TestPKI) -> Iterator[str]:
    """Yields the TSA's URL; every request that reached it is counted in `served`."""
    stamper = pki._timestamper(None)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            reply = stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)
            served.append(len(body))

        def log_message(self, *args: object) -> None:
            pass

    served: list[int] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/tsa"
    finally:
        server.shutdown()
        server.server_close()
