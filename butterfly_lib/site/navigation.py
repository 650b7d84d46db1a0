"""The site's pages and their order, read from the navbar of ``_quarto.yml`` (the one place they are listed).

Look here to find which notebooks the runner executes and which links the fallback navbar shows.
``site_pages()`` returns ``[Page(name, title, href)]`` in navbar order; the landing page has name "index".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from butterfly_lib.errors import InvalidInput
from butterfly_lib.settings import PROJECT_ROOT

QUARTO_FILE = "_quarto.yml"


@dataclass(frozen=True)
class Page:
    """One navbar entry: ``name`` (notebook stem, or "index"), ``title`` (link text), ``href`` (as in _quarto.yml)."""

    name: str
    title: str
    href: str

    @property
    def html_path(self) -> str:
        """Path of the rendered page inside ``_site`` (``index.html``, ``pages/forecast.html``)."""
        return str(Path(self.href).with_suffix(".html"))


def load_quarto(root: Path = PROJECT_ROOT) -> dict:
    path = Path(root) / QUARTO_FILE
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: the site's pages are listed in its website.navbar")
    return yaml.safe_load(path.read_text()) or {}


def site_title(root: Path = PROJECT_ROOT) -> str:
    return str(load_quarto(root).get("website", {}).get("title", "Butterfly Planner"))


def site_pages(root: Path = PROJECT_ROOT) -> list[Page]:
    """The navbar of ``_quarto.yml`` in order. Entries must be ``index.qmd`` or ``pages/<name>.ipynb``."""
    left = load_quarto(root).get("website", {}).get("navbar", {}).get("left", [])
    pages = []
    for entry in left:
        href = str(entry["href"])
        p = Path(href)
        if href == "index.qmd":
            name = "index"
        elif p.parent == Path("pages") and p.suffix == ".ipynb":
            name = p.stem
        else:
            raise InvalidInput("navbar href", href, "index.qmd or pages/<notebook>.ipynb")
        pages.append(Page(name=name, title=str(entry.get("text", name)), href=href))
    return pages


def notebook_pages(root: Path = PROJECT_ROOT) -> list[Page]:
    """The navbar pages that are notebooks (everything but the landing page)."""
    return [p for p in site_pages(root) if p.name != "index"]
