"""``PageResult``: what every page builder returns, and how a page's data files are written.

Look here for the files a page leaves next to itself (the site contract): ``<name>-<table>.csv`` for each
published table, ``<name>-provenance.json`` (each dataset's provenance in words and fields, the page's
settings, this page's requests per source) and ``<name>-summary.json`` (the landing page's card; keys fixed:
degree_days {as_of, cum_dd, normal_mean, diff_dd, days_ahead, percentile_rank, method, units}; forecast
{best_days}; species {flying_now}; emergence {expected_soon}).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, is_dataclass
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from butterfly_lib.http.requestlog import REQUEST_LOG
from butterfly_lib.pages.context import PageContext
from butterfly_lib.provenance import Provenance, provenance_of

Datasets = Mapping[str, Any]


def dataset_provenance(datasets: Datasets) -> dict[str, Provenance]:
    """The provenance of each named dataset (frames and xarray objects carry it in ``attrs``)."""
    out: dict[str, Provenance] = {}
    for name, obj in datasets.items():
        p = obj if isinstance(obj, Provenance) else provenance_of(obj)
        if p is not None:
            out[name] = p
    return out


def provenance_rows(datasets: Datasets) -> list[dict[str, Any]]:
    """One plain dict per dataset: name, source, kind, status, fetched_at, expires, from_cache, offline, stale,
    location, url, notice, parameters."""
    return [{"dataset": name, **p.to_dict()} for name, p in dataset_provenance(datasets).items()]


def number(value: Any, digits: int = 1) -> float | None:
    """``value`` as a rounded float, or None when it is missing or not a finite number."""
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return round(f, digits) if math.isfinite(f) else None


def plain_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy fit for CSV: no attrs, tz-aware timestamps as local wall-clock times."""
    out = frame.copy()
    out.attrs = {}
    for col in out.columns:
        if isinstance(out[col].dtype, pd.DatetimeTZDtype):
            out[col] = out[col].dt.tz_localize(None)
    return out


@dataclass(kw_only=True)
class PageResult:
    """Base of every page's result. Subclasses add typed fields (frames, figure inputs, the summary)."""

    context: PageContext = field(repr=False)
    #: named datasets the page rests on, each with its provenance (what the banner and footer show)
    datasets: dict[str, Any] = field(default_factory=dict, repr=False)

    name: ClassVar[str] = "page"

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables the page publishes as ``<name>-<key>.csv``."""
        return {}

    @property
    def summary(self) -> Any:
        """The landing page's card for this page (a dataclass or mapping), or None."""
        return None

    def summary_dict(self) -> dict[str, Any] | None:
        s = self.summary
        if s is None:
            return None
        return asdict(s) if is_dataclass(s) and not isinstance(s, type) else dict(s)

    @property
    def provenance(self) -> dict[str, Provenance]:
        return dataset_provenance(self.datasets)

    def request_rows(self) -> list[dict[str, Any]]:
        """This page's requests per source (the request log is reset when a page's context opens)."""
        return REQUEST_LOG.rows()

    def write(self, out_dir: Path | None = None) -> list[Path]:
        """Write the page's data files into ``out_dir`` (default: the place's page folder); return their paths."""
        out = Path(out_dir) if out_dir is not None else self.context.out_dir
        out.mkdir(parents=True, exist_ok=True)
        written: list[Path] = []
        for key, frame in self.tables.items():
            path = out / f"{self.name}-{key}.csv"
            plain_frame(frame).to_csv(path, index=False)
            written.append(path)
        ctx = self.context
        record = {
            "page": self.name,
            "place": ctx.place.name,
            "as_of": ctx.as_of.isoformat(),
            "mode": ctx.mode,
            "parameters": ctx.place.to_parameters(),
            "datasets": provenance_rows(self.datasets),
            "requests": REQUEST_LOG.rows(),
        }
        path = out / f"{self.name}-provenance.json"
        path.write_text(json.dumps(record, indent=2, default=str))
        written.append(path)
        summary = self.summary_dict()
        if summary is not None:
            path = out / f"{self.name}-summary.json"
            path.write_text(json.dumps(summary, indent=2, default=str))
            written.append(path)
        return written
