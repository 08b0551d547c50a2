"""The studio's HTTP server: the standard library's, one static page and a small JSON API.

Why not Gradio: measured on this project's machine (Python 3.11, 2 shared cores), gradio 6.31
in a fresh virtual environment is 52 packages (43 that artgan does not already need)
and 367 MB, ``import gradio`` alone takes 4.0-5.6 s, and it sends telemetry unless
``GRADIO_ANALYTICS_ENABLED`` is off. :mod:`http.server` adds nothing to install, this module
imports in under 0.1 s (without torch) and the studio answers its first request about 0.5 s
after starting. The page is ours, so it can promise to fetch nothing: every response carries
a Content-Security-Policy that lets the browser load from this server only.

Safety: the server binds 127.0.0.1 unless told otherwise; while it listens on the loopback
address only, requests must name it in their ``Host`` header (a web page elsewhere cannot
reach it through DNS rebinding), and a POST from a page of another origin is refused.
Only files this session wrote are served, by their number, never by a path.

API (JSON unless said): ``GET /api/catalog``, ``GET /api/results``, ``GET /api/jobs/ID``,
``POST /api/upload?name=FILE`` (the file's bytes as the body), ``POST /api/run``
(``{model, verb, options: {name: text}, seed, uploads: [id]}``), ``POST /api/results/ID/export``
(``{format}``); pictures at ``/uploads/ID/preview`` and ``/previews/ID/N``; files at ``/files/ID/N``.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import threading
import webbrowser
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from artgan._version import __version__
from artgan.errors import ArtganError

log = logging.getLogger("artgan")
STATIC = Path(__file__).parent / "static"
PAGES = {"/": "index.html", "/static/studio.js": "studio.js", "/static/studio.css": "studio.css"}
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
MAX_UPLOAD = 2**30  # bytes of one uploaded picture (a 16384² image, the largest artgan reads, fits well within)
MAX_REQUEST = 2**20  # bytes of a JSON request
#: The browser may load from this server only: no fonts, scripts, styles or analytics from elsewhere.
POLICY = ("default-src 'self'; img-src 'self' blob: data:; script-src 'self'; style-src 'self'; "
          "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


class Studio:
    """A studio bound to ``host:port`` (0 picks a free port), serving once :meth:`serve_forever`
    or :meth:`start` runs; :meth:`close` stops it and removes the uploaded copies."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 7860, out: str | os.PathLike = "artgan-studio",
                 models: list[str] | tuple[str, ...] = (), device: str = "auto") -> None:
        from artgan.studio.catalog import Catalog
        from artgan.studio.session import Session

        missing = [name for name in PAGES.values() if not (STATIC / name).is_file()]
        if missing:
            raise ArtganError(f"the studio's page is missing ({', '.join(missing)} in {STATIC}); reinstall artgan")
        self.session = Session(Catalog(models), out, device=device)
        try:
            self.server = _Server((host, port), _Handler)
        except OSError as exc:
            self.session.close()
            if exc.errno in (98, 48, 10048):  # EADDRINUSE on Linux, macOS, Windows
                raise ArtganError(f"port {port} on {host} is taken (another studio?); pass --port N, "
                                  "or --port 0 for a free one") from None
            raise ArtganError(f"cannot listen on {host}:{port} ({exc.strerror or exc}); pass another --host or --port") from None
        self.server.session = self.session
        self.server.loopback = is_loopback(host)
        self.server.allowed_hosts = _allowed_hosts(host, self.port)
        self.host = host
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def url(self) -> str:
        shown = "127.0.0.1" if self.host in ("", "0.0.0.0", "::") else self.host
        shown = f"[{shown}]" if ":" in shown else shown
        return f"http://{shown}:{self.port}/"

    def serve_forever(self) -> None:
        self.server.serve_forever(poll_interval=0.2)

    def start(self) -> Studio:
        """Serve on a background thread (for tests and notebooks); returns self."""
        self._thread = threading.Thread(target=self.serve_forever, name="artgan-studio-http", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        if self._thread is not None:
            self.server.shutdown()
            self._thread.join(timeout=5)
        self.server.server_close()
        self.session.close()


def serve(*, host: str = "127.0.0.1", port: int = 7860, out: str | os.PathLike = "artgan-studio",
          models: list[str] | tuple[str, ...] = (), device: str = "auto", open_browser: bool = False,
          announce: Callable[[str], Any] = log.info) -> None:
    """Serve the studio until Ctrl-C; ``announce`` receives the address line (the CLI prints it)."""
    studio = Studio(host=host, port=port, out=out, models=models, device=device)
    try:
        if not studio.server.loopback:
            log.warning("the studio listens on %s: anyone who can reach this machine on port %d can run models on it "
                        "and download what it made; use the default --host 127.0.0.1 to keep it to this machine",
                        host or "every address", studio.port)
        announce(f"artgan studio: {studio.url}  (results go to {Path(out).resolve()}; Ctrl-C stops it)")
        if open_browser:
            webbrowser.open(studio.url)
        studio.serve_forever()
    except KeyboardInterrupt:
        announce("artgan studio stopped")
    finally:
        studio.close()


def is_loopback(host: str) -> bool:
    """Whether ``host`` keeps the server to this machine (127.x, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _allowed_hosts(host: str, port: int) -> set[str] | None:
    """``Host`` headers accepted while bound to the loopback address; None (any) otherwise."""
    if not is_loopback(host):
        return None
    names = {"127.0.0.1", "localhost", "[::1]", host if ":" not in host else f"[{host}]"}
    return {f"{name}:{port}" for name in names}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    session: Any = None
    loopback: bool = True
    allowed_hosts: set[str] | None = None


class _Handler(BaseHTTPRequestHandler):
    """Routes requests to the session; every answer is JSON, a picture, a file or the page."""

    server: _Server
    server_version = f"artgan-studio/{__version__}"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the standard library's name
        log.debug("studio: " + format, *args)

    # ------------------------------------------------------------------ dispatch
    def do_GET(self) -> None:  # noqa: N802 - the standard library's name
        self._dispatch("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        if not self._trusted(method):
            return
        url = urlsplit(self.path)
        parts = [p for p in url.path.split("/") if p]
        try:
            self._route(method, url.path, parts, parse_qs(url.query))
        except ArtganError as exc:
            self._json({"error": " ".join(str(exc).split())}, HTTPStatus.BAD_REQUEST)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the browser went away
        except Exception as exc:  # a bug: the page says so, the log has the traceback
            log.exception("studio: %s %s failed", method, self.path)
            self._json({"error": f"internal error ({type(exc).__name__}: {exc})"}, HTTPStatus.INTERNAL_SERVER_ERROR)

    def _trusted(self, method: str) -> bool:
        """Refuse a Host this server does not answer to, and a POST from another origin."""
        host = self.headers.get("Host", "")
        allowed = self.server.allowed_hosts
        if allowed is not None and host not in allowed:
            self._json({"error": f"this studio answers to {sorted(allowed)[0]} only"}, HTTPStatus.FORBIDDEN)
            return False
        origin = self.headers.get("Origin")
        if method == "POST" and origin is not None and urlsplit(origin).netloc != host:
            self._json({"error": "requests from other web pages are refused"}, HTTPStatus.FORBIDDEN)
            return False
        return True

    def _route(self, method: str, path: str, parts: list[str], query: dict[str, list[str]]) -> None:
        session = self.server.session
        if method == "GET" and path in PAGES:
            name = PAGES[path]
            return self._send((STATIC / name).read_bytes(), TYPES[Path(name).suffix])
        if method == "GET" and parts == ["api", "catalog"]:
            return self._json({"version": __version__, **session.catalog.describe()})
        if method == "GET" and parts == ["api", "results"]:
            return self._json({"results": session.results()})
        if method == "GET" and len(parts) == 3 and parts[:2] == ["api", "jobs"]:
            return self._json(session.worker.state(session.worker.get(parts[2])))
        if method == "GET" and len(parts) == 3 and parts[0] == "uploads" and parts[2] == "preview":
            preview = session.upload_of(parts[1]).preview
            if preview is None:
                raise ArtganError("the picture is still being read; try again in a moment")
            return self._send(preview.data, preview.mime)
        if method == "GET" and len(parts) == 3 and parts[0] == "previews":
            previews = session.result(parts[1]).previews
            return self._send(*_nth(previews, parts[2], "preview"))
        if method == "GET" and len(parts) == 3 and parts[0] == "files":
            return self._file(_nth(session.result(parts[1]).files, parts[2], "file"))
        if method == "POST" and parts == ["api", "upload"]:
            name = (query.get("name") or ["upload"])[0]
            upload, job = session.upload(name, self._body(MAX_UPLOAD, name))
            return self._json({"upload": upload.id, "name": upload.name, "job": job.id})
        if method == "POST" and parts == ["api", "run"]:
            request = self._request()
            job = session.run(str(request.get("model", "")), str(request.get("verb", "")), dict(request.get("options") or {}),
                              request.get("seed"), [str(u) for u in request.get("uploads") or []])
            return self._json({"job": job.id, "ahead": session.worker.ahead(job)})
        if method == "POST" and len(parts) == 4 and parts[:2] == ["api", "results"] and parts[3] == "export":
            job = session.export(parts[2], str(self._request().get("format", "")))
            return self._json({"job": job.id, "ahead": session.worker.ahead(job)})
        self._json({"error": f"no such page: {method} {path}"}, HTTPStatus.NOT_FOUND)

    # ------------------------------------------------------------------ reading
    def _body(self, limit: int, what: str) -> bytes:
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            raise ArtganError(f"{what}: the upload did not say its length; send it again") from None
        if length > limit:
            raise ArtganError(f"{what}: {length / 2**20:,.0f} MB is more than the studio takes ({limit / 2**20:,.0f} MB); "
                              "downscale it first")
        data = self.rfile.read(length)
        if len(data) != length:
            raise ArtganError(f"{what}: the upload was cut short; send it again")
        return data

    def _request(self) -> dict[str, Any]:
        try:
            request = json.loads(self._body(MAX_REQUEST, "the request") or b"{}")
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ArtganError("the request is not JSON") from None
        if not isinstance(request, dict):
            raise ArtganError("the request must be a JSON object")
        return request

    # ------------------------------------------------------------------ answering
    def _headers(self, status: int, mime: str, length: int, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", mime)
        self.send_header("Content-Length", str(length))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Security-Policy", POLICY)
        self.send_header("Referrer-Policy", "no-referrer")
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()

    def _send(self, data: bytes, mime: str, status: int = HTTPStatus.OK, extra: dict[str, str] | None = None) -> None:
        self._headers(status, mime, len(data), extra)
        self.wfile.write(data)

    def _json(self, data: Any, status: int = HTTPStatus.OK) -> None:
        self._send(json.dumps(data, default=str).encode(), "application/json", status)

    def _file(self, path: Path) -> None:
        """A file this session wrote, as a download (a folder as a zip of its files)."""
        from artgan.studio.results import zip_folder

        if path.is_dir():
            data, name, mime = zip_folder(path), f"{path.name}.zip", "application/zip"
        else:
            data, name, mime = path.read_bytes(), path.name, _mime(path)
        self._send(data, mime, extra={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})


def _nth(items: list[Any], index: str, what: str) -> Any:
    if not index.isdigit() or int(index) >= len(items):
        raise ArtganError(f"no such {what}: {index}")
    item = items[int(index)]
    return (item.data, item.mime) if hasattr(item, "mime") else item


def _mime(path: Path) -> str:
    import mimetypes

    return mimetypes.guess_type(path.name)[0] or "application/octet-stream"
