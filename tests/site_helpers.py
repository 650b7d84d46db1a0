"""Tiny page notebooks for the site tests: written with nbformat, executed for real by the runner."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import nbformat
from PIL import Image, ImageDraw

PARAMETERS = "place = None\nsettings_file = None"


def _tiny_png(width: int = 60, height: int = 40) -> bytes:
    """A small PNG (a rising line on white), drawn here with Pillow: the kernel only shows its bytes, without
    importing and starting matplotlib (about 0.4 s of CPU in every kernel of these tests); the runner and the
    fallback treat any PNG output the same."""
    img = Image.new("L", (width, height), 255)
    ImageDraw.Draw(img).line([(0, height - 1), (width - 1, 0)], fill=32)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


FIGURE = base64.b64encode(_tiny_png()).decode("ascii")


def write_notebook(path: Path, cells: list[str], *, parameters: str = PARAMETERS) -> Path:
    """A notebook with one ``parameters`` cell followed by ``cells`` (code)."""
    nb = nbformat.v4.new_notebook()
    p = nbformat.v4.new_code_cell(parameters)
    p.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {path.stem}"), p]
    nb.cells += [nbformat.v4.new_code_cell(src) for src in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


def page_cells(name: str, *, banner: bool = False) -> list[str]:
    """Cells of a small but real page: its folder from the run's settings, a figure, a data file, a summary, and
    with ``banner`` the product's banner for the run's mode.

    Only the banner needs more of the package than its settings: importing the presentation (pandas and the page
    products with it) costs a kernel about 0.6 s of CPU, about what starting the kernel costs, and most tests of
    these pages start a kernel or two for a run of their own."""
    summaries = {
        "degree_days": {
            "as_of": "2026-06-13",
            "cum_dd": 812.4,
            "normal_mean": 700.0,
            "diff_dd": 112.4,
            "days_ahead": 9.0,
            "percentile_rank": 80.0,
            "method": "modified-average",
            "units": "°F·days",
        },
        "forecast": {"best_days": [{"date": "2026-06-14", "index": 88, "reason": "sunny <b>&</b> warm",
                                     "sky": "sunny <b>&</b> warm", "tmax_f": 81.0, "protocol_met": True}]},
        "species": {
            "flying_now": [
                {
                    "common_name": "Western Tiger Swallowtail",
                    "scientific_name": "Papilio rutulus",
                    "count": 12,
                    "url": "https://www.inaturalist.org/taxa/60551",
                }
            ]
        },
        "emergence": {
            "expected_soon": [
                {
                    "common_name": "Lorquin's Admiral",
                    "scientific_name": "Limenitis lorquini",
                    "status": "expected soon",
                    "window_start": "2026-06-20",
                    "window_end": "2026-07-30",
                }
            ]
        },
    }
    cells = [
        "from butterfly_lib.settings import load_settings\n"
        "s = load_settings(settings_file=settings_file)\nout = s.pages_folder(s.place(place))",
        "import base64\nfrom IPython.display import Image, display\n"
        f"display(Image(data=base64.b64decode('{FIGURE}'), format='png'))",
        f"import json\n(out / '{name}-table.csv').write_text('x\\n1\\n2\\n')",
    ]
    if banner:
        cells.insert(
            1,
            "from butterfly_lib.presentation.provenance import banner\n"
            "banner({}, snapshot=s.snapshot.isoformat() if s.snapshot else None)",
        )
    if name in summaries:
        cells.append(f"(out / '{name}-summary.json').write_text(json.dumps({summaries[name]!r}))")
    return cells
