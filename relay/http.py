"""What every HTTP answer of the relay shares: errors as JSON, the security headers, origins
(who may frame the page, whose pages may open a socket) and reading a JSON body."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Sequence
from typing import Any

from aiohttp import web

from overshoulder.core.errors import ErrorCode, ProtocolError
from overshoulder.core.protocol.messages import unencodable_field
from overshoulder.core.schema import MAX_JSON_DEPTH


class HttpError(Exception):
    """An API error with an HTTP status, a code and a sentence."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@web.middleware
async def errors_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        return await handler(request)
    except HttpError as exc:
        return error_response(exc.status, exc.code, exc.message)
    except ProtocolError as exc:
        status = {ErrorCode.NOT_FOUND: 404, ErrorCode.FORBIDDEN: 403}.get(exc.code, 400)
        return error_response(status, exc.code, exc.message)
    except web.HTTPException as exc:
        if exc.status >= 400 and request.path.startswith("/api/"):
            return error_response(exc.status, "http_error", exc.reason)
        raise


#: The reviewer page's content policy (also in its <meta> tag): only the relay's own scripts,
#: styles and sockets; images from itself and the frames it decodes; voice notes it fetched.
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; "
    "form-action 'none'"
)


def page_policy(allow_embed: Sequence[str] = ()) -> str:
    """The Content-Security-Policy header: the page's policy, and who may frame it (nobody
    unless ``--allow-embed`` names origins)."""
    ancestors = " ".join(origin_of(o) for o in allow_embed) or "'none'"
    return f"{PAGE_POLICY}; frame-ancestors {ancestors}"


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of a URL, lower case, as browsers send it in ``Origin``."""
    parts = url.strip().rstrip("/").split("/")
    if len(parts) < 3 or not parts[0].endswith(":") or not parts[2]:
        raise ValueError(f"{url!r} is not an origin such as https://review.studio.example")
    return f"{parts[0]}//{parts[2]}".lower()


def error_response(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


async def json_body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    if request.content_type != "application/json":
        # A cross-site form or text/plain POST needs no CORS preflight: only JSON is read.
        raise HttpError(
            415,
            ErrorCode.BAD_MESSAGE,
            f"send the body as application/json (got {request.content_type[:60] or 'none'})",
        )
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError):
        raise HttpError(400, ErrorCode.BAD_JSON, "the request body is not valid JSON") from None
    except RecursionError:
        raise HttpError(
            400,
            ErrorCode.BAD_MESSAGE,
            f"the request body nests deeper than {MAX_JSON_DEPTH} levels",
        ) from None
    if not isinstance(body, dict):
        raise HttpError(400, ErrorCode.BAD_MESSAGE, "the request body must be a JSON object")
    where = unencodable_field(body)
    if where is not None:
        raise HttpError(
            400,
            ErrorCode.BAD_MESSAGE,
            f"{where} holds text that cannot be encoded as UTF-8 (a lone surrogate escape)",
        )
    return body


def security_headers(csp: str) -> Callable[[web.Request, web.StreamResponse], Awaitable[None]]:
    """The headers of every page, file and API answer: what the page may load (``csp``), that
    it is never framed by another site, no content sniffing, and no referrer leaving the
    relay (an invite link's path names the session)."""

    async def add(request: web.Request, response: web.StreamResponse) -> None:
        response.headers["Content-Security-Policy"] = csp
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"

    return add


def check_origin(request: web.Request, allowed: Collection[str]) -> None:
    """A page of another site may not open a socket with a token it got hold of: a
    browser names the page's origin, which must be the relay's own or an ``allowed`` one.
    Clients that are not browsers send the relay's own origin or none."""
    origin = request.headers.get("Origin")
    if origin is None:
        return
    own = f"{request.scheme}://{request.host}".lower()
    if origin.lower() == own:
        return
    try:
        if origin_of(origin) in allowed:
            return
    except ValueError:
        pass  # "null" (a sandboxed or file page) or junk: no allowed origin, refused below
    raise HttpError(
        403,
        ErrorCode.FORBIDDEN,
        f"a page from {origin[:100]} may not connect to this relay; the relay accepts its "
        "own pages and the origins given with --allow-origin",
    )
