"""One bounded GET: a wall-clock deadline, size caps (on the wire and expanded), redirects only on the same host.

Look here when a request was cut off or a redirect refused. ``send(session, prepared, limits=..., timeout=...)``
sends through the session's adapters (so urllib3's retries and backoff still apply, now bounded by
``butterfly_lib.http.retry``), but:

- through the session's adapter, so no redirect is followed by requests: one is followed by hand (its body
  never read), and only to the request's own host (the same
  scheme, host and port, or an upgrade from http to https on the same host); a redirect anywhere else is refused
  and nothing is read from, cached for or attributed to the other host;
- with ``stream=True``: the body is read in pieces of at most 64 kB with ``read1`` (one socket read each, so a
  trickling server cannot hold a read open past the deadline), each piece decompressed by urllib3 with a bounded
  output size, the wire bytes (``HTTPResponse.tell()``) and the expanded bytes counted against the source's caps,
  and the wall clock checked before every read. A ``Content-Length`` over the cap is refused before reading.

A refusal raises ``Refused`` with the problem in words; ``fetch`` turns it into a stale copy with a notice or a
``SourceError``. The response returned has its body in ``content`` (as a non-streamed one would).
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests
from requests.utils import resolve_proxies
from urllib3.exceptions import DecodeError, HTTPError, ProtocolError, ReadTimeoutError

from butterfly_lib.http.limits import Limits, human_bytes
from butterfly_lib.http.retry import Budget, request_budget

#: the most bytes one read may return (decompressed); bounds the memory a gzip bomb can take per step
CHUNK = 64 * 1024
_DEFAULT_PORTS = {"http": 80, "https": 443}


class Refused(Exception):
    """A request stopped by one of its bounds; ``problem`` says which and by how much."""

    def __init__(self, problem: str):
        self.problem = problem
        super().__init__(problem)


@dataclass
class Sent:
    """The final response (body read) and why retries stopped early, if they did (empty otherwise)."""

    response: requests.Response
    retry_note: str = ""


def origin(url: str) -> str:
    """``scheme://host:port`` of ``url``, the unit a redirect may not leave."""
    p = urlsplit(url)
    return f"{p.scheme}://{(p.hostname or '').lower()}:{p.port or _DEFAULT_PORTS.get(p.scheme, '')}"


def same_host(start: str, target: str) -> bool:
    """True when a redirect from ``start`` to ``target`` stays on the same host (an http -> https upgrade too)."""
    a, b = urlsplit(start), urlsplit(target)
    if (a.hostname or "").lower() != (b.hostname or "").lower() or not b.hostname:
        return False
    if a.scheme == b.scheme:
        return (a.port or _DEFAULT_PORTS.get(a.scheme)) == (b.port or _DEFAULT_PORTS.get(b.scheme))
    return a.scheme == "http" and b.scheme == "https" and a.port in (None, 80) and b.port in (None, 443)


def _deadline_problem(budget: Budget, got: int | None = None) -> str:
    read = f" after {human_bytes(got)} of body" if got is not None else ""
    return f"no complete answer within the request's {budget.seconds:g} s deadline{read}; stopped waiting"


def _bound_socket(resp: requests.Response, budget: Budget, read_timeout: float) -> None:
    """Let the next socket read wait no longer than the time left (best effort: urllib3 resets it per request)."""
    sock = getattr(getattr(resp.raw, "connection", None), "sock", None)
    if sock is not None:
        with suppress(OSError):
            sock.settimeout(max(0.05, min(read_timeout, budget.remaining())))


def read_body(resp: requests.Response, limits: Limits, budget: Budget, read_timeout: float) -> bytes:
    """The whole body of a streamed response, within the caps and the deadline, else ``Refused``."""
    declared = resp.headers.get("Content-Length", "").strip()
    if declared.isdigit() and int(declared) > limits.max_bytes:
        resp.close()
        raise Refused(
            f"the answer declares {human_bytes(int(declared))} (Content-Length), more than the "
            f"{human_bytes(limits.max_bytes)} allowed for this source; not reading it"
        )
    preloaded = resp._content
    if isinstance(
        preloaded, bytes
    ):  # an in-process adapter (the snapshot recorder) answered with the body at hand
        if len(preloaded) > min(limits.max_bytes, limits.max_expanded_bytes):
            raise Refused(
                f"the answer holds {human_bytes(len(preloaded))}, more than allowed for this source"
            )
        return preloaded
    raw = resp.raw
    parts: list[bytes] = []
    expanded = 0
    try:
        while True:
            if budget.remaining() <= 0:
                raise Refused(_deadline_problem(budget, expanded))
            _bound_socket(resp, budget, read_timeout)
            piece = raw.read1(CHUNK, decode_content=True)
            if raw.tell() > limits.max_bytes:
                raise Refused(
                    f"the answer is larger than the {human_bytes(limits.max_bytes)} allowed for this source "
                    f"(stopped after {human_bytes(raw.tell())} on the wire)"
                )
            if not piece:
                break
            expanded += len(piece)
            if expanded > limits.max_expanded_bytes:
                raise Refused(
                    f"the answer expands to more than the {human_bytes(limits.max_expanded_bytes)} allowed for "
                    f"this source (stopped after {human_bytes(raw.tell())} compressed gave "
                    f"{human_bytes(expanded)}); a decompression bomb or a runaway answer"
                )
            parts.append(piece)
    except Refused:
        resp.close()
        raise
    except ReadTimeoutError:
        resp.close()
        if budget.remaining() <= 0:
            raise Refused(_deadline_problem(budget, expanded)) from None
        raise Refused(
            f"the server stopped sending mid-body (read timed out after {human_bytes(expanded)})"
        ) from None
    except DecodeError as exc:
        resp.close()
        raise Refused(f"the body could not be decompressed ({exc})") from None
    except (ProtocolError, HTTPError, OSError) as exc:
        resp.close()
        raise Refused(
            f"the connection broke mid-body after {human_bytes(expanded)} ({type(exc).__name__}: {exc})"
        ) from None
    raw.release_conn()
    return b"".join(parts)


def send(
    session: requests.Session,
    prepared: requests.PreparedRequest,
    *,
    limits: Limits,
    timeout: tuple[float, float],
) -> Sent:
    """GET ``prepared`` through ``session``'s adapters within ``limits``; see the module docstring."""
    start_url = prepared.url or ""
    with request_budget(limits.deadline) as budget:
        current = prepared
        for _hop in range(limits.max_redirects + 1):
            left = max(budget.remaining(), 0.05)
            try:
                # the session's adapter itself: not the CachedSession's send (fetch alone decides what is cached),
                # nor requests.Session.send, which reads a redirect's whole body before handing it back
                resp = session.get_adapter(current.url or "").send(
                    current, stream=True, timeout=(min(timeout[0], left), min(timeout[1], left)),
                    verify=session.verify, cert=session.cert,
                    proxies=resolve_proxies(current, session.proxies, session.trust_env),
                )  # fmt: skip
            except requests.RequestException:
                if budget.stopped:
                    raise Refused(f"request failed: {budget.stopped}") from None
                raise
            if not resp.is_redirect:
                break
            target = urljoin(resp.url, session.get_redirect_target(resp) or "")
            status = resp.status_code
            resp.close()
            if not same_host(start_url, target):
                raise Refused(
                    f"redirected (HTTP {status}) from {origin(start_url)} to another host, {origin(target)}; "
                    "a redirect off the source's host is never followed, and nothing from it is cached"
                )
            current = current.copy()
            current.prepare_url(target, None)
        else:
            raise Refused(
                f"more than {limits.max_redirects} redirects on {origin(start_url)}; stopped following"
            )
        body = read_body(resp, limits, budget, timeout[1])
        resp._content = body
        resp._content_consumed = True
        return Sent(resp, budget.stopped)
