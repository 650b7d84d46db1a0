"""The methods page: where every number comes from, how it is computed, and what it cannot tell.

Look here for the facts the methods page lists: the endpoints in use, the viewing index's weights, the
emergence method's limits and the bundled snapshot's provenance notes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import ClassVar

import pandas as pd

from butterfly_lib.analysis.phenology.place import LIMITATIONS
from butterfly_lib.analysis.viewing_index import WEIGHTS
from butterfly_lib.http.snapshot import snapshot_notes
from butterfly_lib.pages.context import PageContext
from butterfly_lib.pages.result import PageResult
from butterfly_lib.settings import ENDPOINTS

#: the shared products this page reads (``Products``): none
PRODUCTS: tuple[str, ...] = ()


@dataclass(kw_only=True)
class MethodsResult(PageResult):
    name: ClassVar[str] = "methods"
    endpoints: pd.DataFrame
    weights: pd.DataFrame
    limitations: str
    snapshot_notes: str


def build(ctx: PageContext) -> MethodsResult:
    endpoints = pd.DataFrame(
        [
            {"source": name, "variable": var, "base URL": ctx.session.endpoints.get(name, default)}
            for name, (var, default) in ENDPOINTS.items()
        ]
    )
    weights = pd.DataFrame([{"setting": k, "value": v} for k, v in asdict(WEIGHTS).items()])
    return MethodsResult(
        context=ctx,
        endpoints=endpoints,
        weights=weights,
        limitations=LIMITATIONS,
        snapshot_notes=snapshot_notes(ctx.settings.paths.snapshot_dir),
    )
