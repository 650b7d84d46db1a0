"""``Answer``: what a snapshot responder returns for one request, before it becomes an HTTP response.

Look here for the helpers every fake API shares: query parsing with a check for parameters the fake does not
implement, the JSON 404 naming what is not covered, and the kind/notice/inputs that travel with each answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl


@dataclass
class Answer:
    body: bytes
    status: int = 200
    content_type: str = "application/json; charset=utf-8"
    kind: str = "observed"
    notice: str = ""
    inputs: list[str] = field(default_factory=list)

    @classmethod
    def json(cls, obj: Any, **kw: Any) -> Answer:
        return cls(json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), **kw)


class NotCovered(Exception):
    """The snapshot cannot answer this request; the message says what is missing."""

    def __init__(self, what: str, status: int = 404):
        self.status = status
        super().__init__(what)


def query(q: str, allowed: set[str] | frozenset[str], what: str) -> dict[str, str]:
    """The query as a dict; a parameter outside ``allowed`` raises ``NotCovered`` naming it."""
    params = dict(parse_qsl(q, keep_blank_values=True))
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise NotCovered(
            f"{what}: the snapshot does not implement parameter(s) {unknown}; implemented: {sorted(allowed)}"
        )
    return params


def ints(value: str | None, name: str) -> list[int]:
    if value is None or value == "":
        return []
    try:
        return [int(v) for v in value.split(",")]
    except ValueError:
        raise NotCovered(f"{name}={value!r} is not a comma-separated list of whole numbers", 422) from None


def floats(value: str, name: str) -> list[float]:
    try:
        return [float(v) for v in value.split(",")]
    except ValueError:
        raise NotCovered(f"{name}={value!r} is not a comma-separated list of numbers", 400) from None
