"""Tiny page notebooks for the site tests: written with nbformat, executed for real by the runner."""

from __future__ import annotations

from pathlib import Path

import nbformat

PARAMETERS = "place = None\nsettings_file = None"


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


def page_cells(name: str) -> list[str]:
    """Cells of a small but real page: banner from the run's mode, a figure, a data file and a summary."""
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
        "from butterfly_lib.pages.context import place_folder\nfrom butterfly_lib.presentation.provenance import banner\n"
        "from butterfly_lib.settings import load_settings\n"
        "s = load_settings(settings_file=settings_file)\nout = place_folder(s, s.place(place))\n"
        "banner({}, snapshot=s.snapshot.isoformat() if s.snapshot else None)",
        "import matplotlib\nmatplotlib.use('agg')\nimport matplotlib.pyplot as plt\n"
        "fig, ax = plt.subplots(figsize=(3, 2))\nax.plot([1, 2, 3], [1, 4, 9])\nax.set_title('derived data')\nplt.show()",
        f"import json, pandas as pd\npd.DataFrame({{'x': [1, 2]}}).to_csv(out / '{name}-table.csv', index=False)",
    ]
    if name in summaries:
        cells.append(f"(out / '{name}-summary.json').write_text(json.dumps({summaries[name]!r}))")
    return cells
