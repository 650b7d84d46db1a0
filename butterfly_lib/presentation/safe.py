"""Safe HTML pieces: escaped text, http(s)-only links and images, and ``Html`` (a string Jupyter shows as HTML).

Look here before putting any data value into HTML. Every text from a source (species names, user logins,
place guesses) goes through ``esc``; every URL through ``safe_url``, which accepts only absolute http(s) URLs
without whitespace, quotes or control characters, so ``javascript:`` or ``data:`` links never become hrefs.
"""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import urlsplit

_BAD_URL_CHARS = re.compile(r"[\s\"'<>`\\\x00-\x1f\x7f]")


class Html(str):
    """A string of trusted, already-escaped HTML; Jupyter renders it as HTML."""

    def _repr_html_(self) -> str:
        return str(self)


def esc(value: Any) -> str:
    """``value`` as escaped HTML text; missing values (None, NaN, NA) become an empty string."""
    if value is None:
        return ""
    try:
        if value != value:  # NaN and pd.NA-like
            return ""
    except (TypeError, ValueError):
        return ""
    return html.escape(str(value), quote=True)


def safe_url(value: Any) -> str | None:
    """``value`` if it is an absolute http(s) URL with a host and no characters that could break out of an
    attribute; otherwise None."""
    if not isinstance(value, str) or not value or len(value) > 2048 or _BAD_URL_CHARS.search(value):
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return value


def link(url: Any, text: Any, *, new_tab: bool = True) -> str:
    """``<a href>`` to ``url`` showing ``text`` (escaped); just the escaped text when the URL is not safe."""
    href = safe_url(url)
    if href is None:
        return esc(text)
    target = ' target="_blank" rel="noopener noreferrer"' if new_tab else ""
    return f'<a href="{html.escape(href, quote=True)}"{target}>{esc(text)}</a>'


def img(url: Any, alt: Any, *, width: int = 64) -> str:
    """``<img>`` of ``url`` (lazy, fixed width, escaped alt); empty when the URL is not safe."""
    src = safe_url(url)
    if src is None:
        return ""
    return (
        f'<img src="{html.escape(src, quote=True)}" alt="{esc(alt)}" width="{int(width)}" '
        f'loading="lazy" referrerpolicy="no-referrer">'
    )
