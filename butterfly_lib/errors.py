"""Error types of the package: look here to catch or raise a butterfly-specific failure.

Every message names the bad value (or the source and URL) and what is allowed or what to do next.
"""

from __future__ import annotations


class ButterflyError(Exception):
    """Base class of every error this package raises on purpose."""


class InvalidInput(ButterflyError, ValueError):
    """A parameter is out of range or of the wrong kind; raised before any request is made."""

    def __init__(self, name: str, value: object, allowed: str):
        self.name, self.value, self.allowed = name, value, allowed
        super().__init__(f"invalid {name}: {value!r}; allowed: {allowed}")


class SourceError(ButterflyError):
    """A source could not deliver usable data (HTTP error, timeout, malformed payload)."""

    def __init__(self, source: str, url: str, problem: str, hint: str = ""):
        self.source, self.url, self.problem = source, url, problem
        msg = f"{source}: {problem} (URL: {url})"
        if hint:
            msg += f". {hint}"
        super().__init__(msg)


class OfflineCacheMiss(SourceError):
    """Offline mode was asked for a response that the cache does not hold."""

    def __init__(self, source: str, url: str):
        super().__init__(
            source,
            url,
            "offline mode and this request is not in the cache",
            "Fill the cache by running once online (`butterfly run`), or use the bundled snapshot "
            "(`butterfly run --offline`, or offline=True in a notebook), or unset BUTTERFLY_OFFLINE",
        )
