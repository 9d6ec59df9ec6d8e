"""What keeps the page to its user: address, token, cross-site posts, uploads.

* **Address.** ``drafter serve`` binds 127.0.0.1 by default. Binding any other
  address needs ``--token`` (:func:`check_bind` refuses otherwise); every
  request then needs the token, given once as ``?token=…`` (it is moved into
  an HttpOnly, SameSite=Strict cookie and the address is cleaned), or as an
  ``Authorization: Bearer …`` header. On loopback without a token, requests
  must name a loopback host in ``Host``, so a web page elsewhere cannot reach
  the server by DNS rebinding (a hostile name resolved to 127.0.0.1).
* **Cross-site posts** (CSRF, OWASP's "Cross-Site Request Forgery Prevention
  Cheat Sheet"): a request that changes anything (POST, PUT, PATCH, DELETE) is
  refused when the browser says it comes from another site (``Sec-Fetch-Site``
  other than same-origin/none, or an ``Origin`` other than the page's own),
  and it must carry the page's CSRF token in ``X-CSRF-Token`` equal to the
  ``drafter_csrf`` cookie (double-submit; the cookie is SameSite=Strict).
* **Uploads.** Request bodies are limited (:data:`MAX_BODY`); each upload is
  checked for its type (suffix and, for .docx/.xlsx/.pdf, its first bytes) and
  size; names are reduced to safe parts that cannot leave the upload folder
  (:func:`safe_path`).
"""

from __future__ import annotations

import hmac
import re
import secrets
import unicodedata
from http.cookies import SimpleCookie
from pathlib import Path, PurePosixPath
from urllib.parse import parse_qsl, urlencode, urlsplit

from drafter.errors import InputError
from drafter.llm.endpoint import is_loopback

MAX_BODY = 256 * 1024 * 1024
"""Largest request body (256 MiB: a folder of past reports at once)."""
MAX_CORPUS_FILE = 50 * 1024 * 1024
"""Largest past report (50 MB, :data:`drafter.corpus.loaders.MAX_BYTES`)."""
MAX_FIGURES_FILE = 5 * 1024 * 1024
"""Largest figures file (5 MB; a year's table is a few KB)."""
MAX_JSON = 8 * 1024 * 1024
"""Largest JSON request (8 MB: a whole report's text and its figures)."""
CORPUS_SUFFIXES = frozenset({".txt", ".text", ".md", ".markdown", ".html", ".htm", ".xhtml", ".docx", ".pdf"})
FIGURES_SUFFIXES = frozenset({".yaml", ".yml", ".json", ".csv", ".xlsx"})
_MAGIC = {".docx": b"PK\x03\x04", ".xlsx": b"PK\x03\x04", ".pdf": b"%PDF-"}
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
TOKEN_RE = re.compile(r"^[A-Za-z0-9._~-]{16,200}$")
"""An access token: 16 or more URL- and cookie-safe characters."""
TOKEN_COOKIE = "drafter_token"
CSRF_COOKIE = "drafter_csrf"
CSRF_HEADER = "x-csrf-token"


class TooLarge(InputError):
    """A request or upload over its size limit (HTTP 413)."""


def check_bind(host: str, token: str | None) -> None:
    """Refuse to serve on a non-loopback address without a token.

    Raises:
        InputError: ``host`` is not loopback and no token is given, or the token is too short.
    """
    if token is not None and not TOKEN_RE.match(token):
        raise InputError("--token must be 16 or more letters, digits or -._~ (e.g. the output of: "
                         "python -c 'import secrets; print(secrets.token_urlsafe())').")
    if not is_loopback(host) and not token:
        raise InputError(f"Serving on {host} would let other machines reach the page; add --token SECRET "
                         "(every request then needs it), or serve on 127.0.0.1.")


def safe_path(root: Path, name: str) -> Path:
    """Where an uploaded file named ``name`` goes under ``root``.

    The name may carry a folder path (a folder upload); each part is reduced
    to letters, digits, CJK, ``-_.`` and spaces, parts ``.``/``..``/empty are
    dropped, and the result is checked to lie under ``root``.

    Raises:
        InputError: nothing of the name is left, or it would leave ``root``.
    """
    parts = []
    for part in re.split(r"[\\/]+", unicodedata.normalize("NFC", name or "")):
        part = "".join(ch for ch in part if ch.isalnum() or ch in "-_. （）()【】")
        part = part.strip(" .")[:120]
        if part and part not in (".", ".."):
            parts.append(part)
    if not parts:
        raise InputError(f"The upload name '{name}' has no usable characters.")
    root = root.resolve()
    path = (root / PurePosixPath(*parts)).resolve()
    if not path.is_relative_to(root) or path == root:
        raise InputError(f"The upload name '{name}' points outside the upload folder.")
    return path


def check_upload(name: str, head: bytes, size: int, kind: str) -> str:
    """Check an upload's type and size; returns its suffix.

    Args:
        name: the file name as sent; head: its first bytes; size: its size in bytes.
        kind: ``corpus`` (past reports) or ``figures``.

    Raises:
        InputError: wrong type, content not of its type, or too large.
    """
    suffix = PurePosixPath(name.replace("\\", "/")).suffix.lower()
    allowed, limit = (CORPUS_SUFFIXES, MAX_CORPUS_FILE) if kind == "corpus" else (FIGURES_SUFFIXES, MAX_FIGURES_FILE)
    if suffix not in allowed:
        raise InputError(f"{name}: '{suffix or '(no suffix)'}' files are not accepted here; use {', '.join(sorted(allowed))}.")
    magic = _MAGIC.get(suffix)
    if magic and not head.startswith(magic):
        raise InputError(f"{name}: the content is not a {suffix} file.")
    if size > limit:
        raise InputError(f"{name}: {size / 1e6:.1f} MB is over the limit of {limit / 1e6:.0f} MB.")
    if size == 0:
        raise InputError(f"{name}: the file is empty.")
    return suffix


def _headers(scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def _cookies(headers: dict[str, str]) -> dict[str, str]:
    jar = SimpleCookie()
    try:
        jar.load(headers.get("cookie", ""))
    except Exception:  # a malformed cookie header: no cookies
        return {}
    return {k: m.value for k, m in jar.items()}


class Guard:
    """ASGI middleware applying the rules of this module to every HTTP request.

    Args:
        app: the wrapped ASGI app.
        token: the access token, or None (loopback only).
        max_body: largest request body in bytes.
    """

    def __init__(self, app, token: str | None = None, max_body: int = MAX_BODY) -> None:
        self.app, self.token, self.max_body = app, token, max_body

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = _headers(scope)
        cookies = _cookies(headers)
        method = scope["method"].upper()
        host = headers.get("host", "")
        if not self.token and not is_loopback(_host_name(host)):
            return await _plain(send, 421, f"This server answers only to 127.0.0.1 or localhost, not to '{host}'.")
        if self.token:
            query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
            given = cookies.get(TOKEN_COOKIE) or _bearer(headers)
            if query.get("token") and method == "GET":
                if not hmac.compare_digest(query["token"].encode(), self.token.encode()):
                    return await _plain(send, 401, "Wrong token.")
                rest = urlencode([(k, v) for k, v in parse_qsl(scope.get("query_string", b"").decode()) if k != "token"])
                cookie = f"{TOKEN_COOKIE}={self.token}; Path=/; HttpOnly; SameSite=Strict"
                return await _redirect(send, scope["path"] + (f"?{rest}" if rest else ""), cookie)
            if not given or not hmac.compare_digest(given.encode(), self.token.encode()):
                return await _plain(send, 401, "This Drafter page needs its token: open the address `drafter serve` printed "
                                               "(…/?token=…), or send Authorization: Bearer TOKEN.")
        if method in _UNSAFE:
            problem = _cross_site(headers, cookies)
            if problem:
                return await _plain(send, 403, problem)
        length = headers.get("content-length")
        if length and length.isdigit() and int(length) > self.max_body:
            return await _plain(send, 413, f"The request is {int(length) / 1e6:.0f} MB; the limit is {self.max_body / 1e6:.0f} MB.")
        seen = 0

        async def limited_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise TooLarge(f"The request is over the limit of {self.max_body / 1e6:.0f} MB.")
            return message

        return await self.app(scope, limited_receive, send)


def _host_name(host: str) -> str:
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _bearer(headers: dict[str, str]) -> str:
    auth = headers.get("authorization", "")
    return auth[7:].strip() if auth.lower().startswith("bearer ") else ""


def _cross_site(headers: dict[str, str], cookies: dict[str, str]) -> str:
    site = headers.get("sec-fetch-site")
    if site and site not in ("same-origin", "none"):
        return f"Refused a cross-site request (Sec-Fetch-Site: {site})."
    origin = headers.get("origin")
    if origin and origin != "null" and urlsplit(origin).netloc != headers.get("host", ""):
        return f"Refused a request from another origin ({origin})."
    if origin == "null":
        return "Refused a request from an opaque origin."
    sent, expected = headers.get(CSRF_HEADER, ""), cookies.get(CSRF_COOKIE, "")
    if not expected or not sent or not hmac.compare_digest(sent.encode(), expected.encode()):
        return "Missing or wrong CSRF token: reload the page and try again."
    return ""


def new_csrf_token() -> str:
    """A fresh CSRF token (for the ``drafter_csrf`` cookie and the page)."""
    return secrets.token_urlsafe(24)


async def _plain(send, status: int, text: str) -> None:
    body = (text + "\n").encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


async def _redirect(send, location: str, cookie: str) -> None:
    await send({"type": "http.response.start", "status": 303,
                "headers": [(b"location", location.encode("utf-8")), (b"set-cookie", cookie.encode("latin-1")),
                            (b"content-length", b"0")]})
    await send({"type": "http.response.body", "body": b""})
