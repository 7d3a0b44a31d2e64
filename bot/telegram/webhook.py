"""The webhook's front door: a request without the secret is refused before its body is read.

python-telegram-bot's webhook server is tornado's HTTPServer, which by default reads bodies
of up to 100 MB into memory and only then lets python-telegram-bot check the secret: a few
large forged posts took the bot from 150 MB to 1 GB. ``guard`` uses tornado's own
``configure`` to make every HTTPServer of this process a ``GuardedServer``: a request
without the right secret header is answered 403 as soon as its headers are in, and the
connection is closed, so its body is never read; any request is limited to MAX_BODY.
"""

from __future__ import annotations

import hmac
from typing import Any

from tornado import httputil
from tornado.httpserver import HTTPServer

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# An update is a message of at most 4096 characters with its details: a few kB, 100 kB at
# the very most.
MAX_BODY = 1024 * 1024
BODY_SECONDS = 10.0


def guard(secret: str) -> None:
    """Every webhook server made from now on refuses requests without ``secret``."""
    HTTPServer.configure(
        GuardedServer, secret=secret, max_body_size=MAX_BODY, body_timeout=BODY_SECONDS
    )


class GuardedServer(HTTPServer):
    """tornado's HTTPServer, with the secret checked on the headers of each request."""

    def initialize(self, *args: Any, secret: str, **kwargs: Any) -> None:
        self.secret = secret.encode()
        super().initialize(*args, **kwargs)

    def start_request(
        self, server_conn: object, request_conn: httputil.HTTPConnection
    ) -> httputil.HTTPMessageDelegate:
        return _SecretFirst(super().start_request(server_conn, request_conn), request_conn, self)


class _SecretFirst(httputil.HTTPMessageDelegate):
    """Passes a request on to python-telegram-bot only when its headers carry the secret."""

    def __init__(
        self,
        inner: httputil.HTTPMessageDelegate,
        connection: httputil.HTTPConnection,
        server: GuardedServer,
    ) -> None:
        self.inner = inner
        self.connection = connection
        self.server = server
        self.refused = False

    def headers_received(
        self,
        start_line: httputil.RequestStartLine | httputil.ResponseStartLine,
        headers: httputil.HTTPHeaders,
    ) -> Any:
        given = headers.get(SECRET_HEADER, "").encode("utf-8", "replace")
        if hmac.compare_digest(given, self.server.secret):
            return self.inner.headers_received(start_line, headers)
        self.refused = True
        # Finishing before the body is read makes tornado close the connection once the
        # answer is sent, without reading the body.
        self.connection.write_headers(
            httputil.ResponseStartLine("HTTP/1.1", 403, "Forbidden"),
            httputil.HTTPHeaders({"Content-Length": "0", "Connection": "close"}),
        )
        self.connection.finish()
        return None

    def data_received(self, chunk: bytes) -> Any:
        return None if self.refused else self.inner.data_received(chunk)

    def finish(self) -> None:
        if not self.refused:
            self.inner.finish()

    def on_connection_close(self) -> None:
        if not self.refused:
            self.inner.on_connection_close()
