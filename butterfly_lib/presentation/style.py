"""Shared look of every figure: phone-width sizes, large fonts, the stable species palette, captions and labels.

Look here to change fonts or sizes for all figures, to find a species' colour (``species_color``: a hash of the
taxon id picks from a fixed list, so a species keeps its colour across pages, runs and places), or to add the
source caption and the "simulated"/"derived" stamp that every figure carries.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, ParamSpec

import numpy as np
import pandas as pd

from butterfly_lib.provenance import Provenance

if TYPE_CHECKING:  # matplotlib is imported where a figure is made: the runner's cards need only source_name
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.typing import RcKeyType

P = ParamSpec("P")

#: 20 colours readable on white and distinct enough for small markers (Tableau 10 + darker/lighter partners)
PALETTE: tuple[str, ...] = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
    "#393b79",
    "#e6550d",
    "#31a354",
    "#843c39",
    "#7b4173",
    "#b5a000",
    "#3182bd",
    "#636363",
    "#de2d26",
    "#0f8a8a",
)

#: one text column: 5.4 x 3.8 inches at 110 dpi is ~590 px, shown at that width on a desktop and scaled to the
#: column on a phone (~350 px), where 13 pt text still reads at about 12 px
FIGSIZE = (5.4, 3.8)
WIDTH = FIGSIZE[0]
#: the smallest text any figure of this package draws (annotations, legends, captions), in points
SMALL = 11
RC: dict[RcKeyType, Any] = {
    "font.size": 13,
    "axes.titlesize": 13,
    "axes.labelsize": 12,
    "xtick.labelsize": 12,
    "ytick.labelsize": 12,
    "legend.fontsize": SMALL,
    "figure.dpi": 110,
    "savefig.dpi": 110,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
}

SUN = "#f2a900"
WARM = "#d62728"
COOL = "#1f77b4"
NORMAL = "#7f7f7f"


def species_color(taxon_id: int | float | str | None, name: str | None = None) -> str:
    """The colour of a species: the same taxon id always gets the same colour (independent of Python's hash
    seed and of which other species are shown); without a taxon id, the scientific ``name`` picks it; grey when
    neither is known. Colours repeat across species: 20 colours, hundreds of taxa."""
    if taxon_id is None or _missing(taxon_id):
        if _missing(name) or not str(name).strip():
            return PALETTE[7]
        key = "name:" + str(name).strip().lower()
    elif isinstance(taxon_id, str) and not taxon_id.strip().isdigit():
        key = taxon_id
    else:
        key = str(int(float(taxon_id)))
    digest = hashlib.sha256(key.encode()).digest()
    return PALETTE[int.from_bytes(digest[:4], "big") % len(PALETTE)]


def house_style(func: Callable[P, Figure]) -> Callable[P, Figure]:
    """Decorator for figure builders: build and lay out the figure under the house rcParams (ticks are created
    lazily, so it is drawn once inside the context) and close the pyplot handle so a notebook shows the
    returned figure once, not twice."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Figure:
        import matplotlib.pyplot as plt

        with plt.rc_context(RC):
            fig = func(*args, **kwargs)
            make_ticks(fig)
        plt.close(fig)
        return fig

    return wrapper


def make_ticks(fig: Figure) -> None:
    """Create every axis' ticks now, under the rcParams in force (the house sizes inside ``house_style``).

    matplotlib creates tick labels lazily, at draw time, with the rcParams of that moment: a figure drawn later
    outside the house context would get the default sizes. Ticks added later (more tick positions) copy the
    first tick's properties, so making them here is enough; drawing the whole figure once (constrained layout,
    text metrics) did the same at a fifth of a page's figure time."""
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            axis.get_major_ticks()
            axis.get_minor_ticks()


def _missing(value: object) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def new_figure(figsize: tuple[float, float] = FIGSIZE) -> tuple[Figure, Axes]:
    """``(fig, ax)``: one axes with constrained layout."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    return fig, ax


def new_figure_grid(figsize: tuple[float, float] = FIGSIZE, **kwargs: Any) -> tuple[Figure, np.ndarray]:
    """``(fig, axes)``: an array of axes (``nrows``/``ncols``, other ``plt.subplots`` arguments) with
    constrained layout."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(figsize=figsize, layout="constrained", **kwargs)
    return fig, np.asarray(axes)


def caption(fig: Figure, text: str) -> None:
    """Put a source caption under the figure (small, grey, wrapped)."""
    fig.supxlabel(text, fontsize=SMALL - 1, color="#444444", wrap=True)


def kinds_of(provs: Iterable[Provenance | None]) -> dict[str, list[str]]:
    """``{"simulated": [notices], "derived": [notices]}`` for the provenances that are not plain observations."""
    out: dict[str, list[str]] = {}
    for p in provs:
        if p is not None and p.kind in ("simulated", "derived"):
            out.setdefault(p.kind, []).append(p.notice or p.source)
    return out


def stamp(ax, kind: str, text: str | None = None) -> None:
    """Write a visible label such as "SIMULATED ensemble" in the top-left corner of ``ax``."""
    label = text or kind.upper()
    color = "#b00020" if kind == "simulated" else "#6a4c00"
    ax.text(
        0.01,
        0.98,
        label,
        transform=ax.transAxes,
        ha="left",
        va="top",
        fontsize=10,
        fontweight="bold",
        color=color,
        bbox={"boxstyle": "round,pad=0.25", "fc": "white", "ec": color, "alpha": 0.85},
        zorder=10,
    )


#: source ids as readers know them
SOURCE_NAMES = {
    "inaturalist": "iNaturalist",
    "open_meteo_forecast": "Open-Meteo forecast",
    "open_meteo_archive": "Open-Meteo archive",
    "open_meteo_ensemble": "Open-Meteo ensemble",
    "noaa": "NOAA station record",
}


def source_name(source: str) -> str:
    """ "open_meteo_archive" -> "Open-Meteo archive"; unknown ids are shown as they are."""
    return SOURCE_NAMES.get(source, source)


def source_line(provs: Iterable[Provenance | None], fallback: str = "") -> str:
    """ "Source: A; B (derived)" from provenances, de-duplicated, for captions (kinds other than observed are
    named; whether the data is live or offline is the page banner's job)."""
    seen: list[str] = []
    for p in provs:
        if p is None:
            continue
        item = source_name(p.source) + (f" ({p.kind})" if p.kind != "observed" else "")
        if item not in seen:
            seen.append(item)
    return ("Source: " if len(seen) == 1 else "Sources: ") + "; ".join(seen) if seen else fallback
