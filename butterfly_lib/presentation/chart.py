"""A figure as the page shows it: a sharp PNG sized for the text column, with alt text, as HTML.

Look here when a chart on a page lacks its description or looks blurred or tiny on a phone. ``chart(fig)``
wraps a matplotlib figure: the notebook shows it as ``<figure><img alt=...></figure>`` (text/html, which both
Quarto and nbconvert prefer over image/png; nbconvert would otherwise write "No description has been provided
for this image"). The alt text is the one the figure builder wrote (``describe``) or, failing that, the
figure's titles and axis labels. The PNG is drawn at twice the figure's dpi and shown at its natural width,
never wider than the column (``max-width:100%``). A figure drawn for the text column (at most ``NARROW_FROM``
inches wide) is drawn a second time at phone width (``PHONE_WIDTH``, legends in one column), and CSS shows that
one on screens under 600 px: on a phone the text is then about as large as on a desktop, not shrunk to a few
pixels.
"""

from __future__ import annotations

import base64
import io
from typing import Any, cast

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.legend import Legend

from butterfly_lib.presentation.safe import Html, esc
from butterfly_lib.presentation.style import RC

ALT_ATTR = "_bp_alt"
#: inches: the phone rendering's width, and the widest figure that gets one
PHONE_WIDTH = 3.9
NARROW_FROM = 6.0
CHART_CSS = (
    "<style>.bp-chart{margin:0.6em 0 1em 0}.bp-chart img{max-width:100%;height:auto;display:block}"
    ".bp-chart figcaption{font-size:0.85em;color:#555;margin-top:2px}.bp-chart .bp-narrow{display:none}"
    "@media (max-width:600px){.bp-chart .bp-narrow{display:block}.bp-chart .bp-wide{display:none}}</style>"
)


def describe(fig: Figure, text: str) -> Figure:
    """Attach the alt text a reader of a screen reader gets for ``fig``; returns ``fig``."""
    setattr(fig, ALT_ATTR, " ".join(text.split()))
    return fig


def alt_text(fig: Figure) -> str:
    """The builder's description, else "Chart: <titles>; <axis labels>"."""
    own = getattr(fig, ALT_ATTR, "")
    if own:
        return str(own)
    bits: list[str] = []
    title: Any = getattr(fig, "_suptitle", None)  # matplotlib keeps the suptitle here, with no public getter
    sup = title.get_text() if title is not None else ""
    if sup:
        bits.append(sup)
    for ax in fig.axes:
        for label in (ax.get_title(), ax.get_title(loc="left")):
            if label and label not in bits:
                bits.append(label)
    axes = [f"{ax.get_xlabel()} against {ax.get_ylabel()}" for ax in fig.axes if ax.get_xlabel() and ax.get_ylabel()]
    text = "Chart: " + "; ".join(bits + axes[:2])
    return " ".join(text.replace("\n", " ").split())


class Chart:
    """A figure with its alt text, shown as HTML (see the module docstring)."""

    def __init__(self, fig: Figure, alt: str | None = None, caption: str = "", scale: float = 2.0):
        self.fig = fig
        self.alt = " ".join((alt or alt_text(fig)).split())
        self.caption = caption
        self.scale = scale

    def png(self, width: float | None = None) -> bytes:
        """The figure as PNG at twice its dpi; ``width`` (inches): drawn at that width instead, taller in
        proportion and with its figure legends in one column above the plot, then put back as it was."""
        fig = self.fig
        size = fig.get_size_inches().copy()
        saved = list(fig.legends)
        added: list[Legend] = []
        with plt.rc_context(cast(Any, RC)):
            try:
                if width is not None:
                    grow = 1.0 + 0.5 * (size[0] / width - 1.0)
                    fig.set_size_inches(width, size[1] * grow)
                    for leg in saved:
                        texts = leg.get_texts()
                        handles = [h for h in leg.legend_handles if h is not None]
                        leg.set_visible(False)
                        leg.set_in_layout(False)
                        added.append(
                            fig.legend(
                                handles, [t.get_text() for t in texts], loc="outside upper center", ncols=1,
                                frameon=False, fontsize=texts[0].get_fontsize() if texts else None,
                            )  # fmt: skip
                        )
                buf = io.BytesIO()
                fig.savefig(buf, format="png", dpi=fig.dpi * self.scale, facecolor="white")
            finally:
                for leg in added:
                    leg.remove()
                for leg in saved:
                    leg.set_visible(True)
                    leg.set_in_layout(True)
                fig.set_size_inches(*size)
        return buf.getvalue()

    def _img(self, png: bytes, width: float, cls: str) -> str:
        data = base64.b64encode(png).decode("ascii")
        return (
            f'<img class="{cls}" src="data:image/png;base64,{data}" alt="{esc(self.alt)}" '
            f'width="{round(width * self.fig.dpi)}">'
        )

    def html(self) -> Html:
        w = float(self.fig.get_figwidth())
        imgs = self._img(self.png(), w, "bp-wide")
        if w <= NARROW_FROM:
            imgs += self._img(self.png(PHONE_WIDTH), PHONE_WIDTH, "bp-narrow")
        cap = f"<figcaption>{esc(self.caption)}</figcaption>" if self.caption else ""
        return Html(f'{CHART_CSS}<figure class="bp-chart">{imgs}{cap}</figure>')

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> dict[str, str]:
        return {"text/html": str(self.html()), "text/plain": self.alt}


def chart(fig: Figure | None, alt: str | None = None, caption: str = "") -> Chart | Html:
    """``fig`` ready to show on a page (the last expression of a notebook cell); nothing for ``None`` (a builder
    with nothing to draw returns None and the page says why in words)."""
    if fig is None:
        return Html("")
    return Chart(fig, alt, caption)
