"""The site without Quarto: ``_site/`` built with nbconvert from the executed notebooks in ``pages/``.

Look here when Quarto is not installed (as on machines that cannot install it). ``build_site`` exports every
executed page that ``pages/run.json`` lists (the first place's and each further place's section; nothing else in
the folder is published) with nbconvert's HTML exporter (code hidden; cells tagged
``remove-cell``/``remove-code``/``remove-output``, and papermill's parameter cells, removed by the
TagRemovePreprocessor as Quarto removes them; widget state kept, so ipyleaflet maps render), adds the navbar of
``_quarto.yml``, renders ``index.qmd`` as the landing page (front matter title, the ``butterfly-cards`` shortcode
and ``{{< include >}}`` resolved as Quarto does, markdown with mistune), copies each page's data files next to
it, and prints that the fallback was used.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import yaml

from butterfly_lib.presentation.safe import esc
from butterfly_lib.settings import PROJECT_ROOT
from butterfly_lib.site.navigation import Page, site_pages, site_title
from butterfly_lib.site.runner import RUN_RECORD

DATA_SUFFIXES = (".csv", ".json")
NAV_CSS = """<style>
.bp-nav{position:sticky;top:0;z-index:2000;background:#2780e3;padding:0 12px;display:flex;flex-wrap:wrap;
 align-items:center;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
.bp-nav a{color:#fff;text-decoration:none;padding:12px 10px;display:inline-block;font-size:15px}
.bp-nav a.bp-brand{font-weight:600;margin-right:10px}
.bp-nav a.active{background:rgba(0,0,0,.18)}
.bp-nav a:hover{background:rgba(0,0,0,.12)}
.bp-fallback-note{font:12px system-ui,sans-serif;color:#666;text-align:center;padding:16px}
@media (max-width:700px){.bp-nav{position:static;padding:0 4px}.bp-nav a{padding:7px 6px;font-size:14px}}
</style>"""
INDEX_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body{{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#222;line-height:1.5}}
main{{max-width:1000px;margin:0 auto;padding:8px 16px 32px}}
h1{{margin-bottom:0}} .bp-subtitle{{color:#555;margin-top:4px}}
a{{color:#2780e3}}
</style></head>
<body>
{nav}
<main>
<h1>{title}</h1>
{subtitle}
{body}
</main>
{note}
</body></html>
"""


@dataclass
class FallbackResult:
    out_dir: Path
    pages: list[Path]
    data_files: list[Path]


def navbar_html(pages: list[Page], current: str, title: str) -> str:
    """The navbar for the page at ``current`` (its path inside ``_site``), links relative to it."""
    here = os.path.dirname(current) or "."

    def rel(target: str) -> str:
        return os.path.relpath(target, here).replace(os.sep, "/")

    links = [f'<a class="bp-brand" href="{esc(rel("index.html"))}">{esc(title)}</a>']
    for p in pages:
        active = ' class="active" aria-current="page"' if p.html_path == current else ""
        links.append(f'<a href="{esc(rel(p.html_path))}"{active}>{esc(p.title)}</a>')
    return f'{NAV_CSS}<nav class="bp-nav" aria-label="Site">{"".join(links)}</nav>'


def _note() -> str:
    return '<p class="bp-fallback-note">Built without Quarto (nbconvert fallback of <code>butterfly site</code>).</p>'


def _inject(html: str, nav: str, title: str) -> str:
    html = re.sub(r"<title>.*?</title>", f"<title>{esc(title)}</title>", html, count=1, flags=re.S)
    html = re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + "\n" + nav, html, count=1)
    return html.replace("</body>", _note() + "\n</body>", 1)


#: cell tags that hide parts of a page, honoured the same way by Quarto (its ``remove-*``/``hide-*`` cell tags)
#: and by this fallback (nbconvert's TagRemovePreprocessor); papermill's parameter cells never show
REMOVE_CELL_TAGS = frozenset({"remove-cell", "hide-cell", "parameters", "injected-parameters"})
REMOVE_INPUT_TAGS = frozenset({"remove-code", "hide-code", "remove-input", "hide-input"})
REMOVE_OUTPUT_TAGS = frozenset({"remove-output", "hide-output"})


def exporter_config() -> object:
    """The nbconvert configuration of the fallback: the tag rules above, and no input prompts or code."""
    from traitlets.config import Config

    c = Config()
    c.TagRemovePreprocessor.enabled = True
    c.TagRemovePreprocessor.remove_cell_tags = set(REMOVE_CELL_TAGS)
    c.TagRemovePreprocessor.remove_input_tags = set(REMOVE_INPUT_TAGS)
    c.TagRemovePreprocessor.remove_all_outputs_tags = set(REMOVE_OUTPUT_TAGS)
    c.HTMLExporter.exclude_input = True
    c.HTMLExporter.exclude_input_prompt = True
    c.HTMLExporter.exclude_output_prompt = True
    return c


@functools.lru_cache(maxsize=1)
def _exporter() -> Any:
    # one exporter for every page: building one (loading its templates) costs about what exporting a page does
    from nbconvert import HTMLExporter

    return HTMLExporter(template_name="lab", config=exporter_config())


def export_notebook(path: Path) -> str:
    """One executed notebook as standalone HTML: outputs only (tagged cells removed), widget state embedded."""
    import nbformat

    nb = nbformat.read(str(path), as_version=4)
    body, _ = _exporter().from_notebook_node(nb)
    return body


def _front_matter(text: str) -> tuple[dict, str]:
    m = re.match(r"^---\s*\n(.*?)\n---\s*\n", text, flags=re.S)
    if not m:
        return {}, text
    return (yaml.safe_load(m.group(1)) or {}), text[m.end() :]


_INCLUDE = re.compile(r"\{\{<\s*include\s+(\S+)\s*>\}\}")
#: ``_extensions/butterfly-cards/cards.lua``: the generated cards file, shown as raw HTML
_CARDS = re.compile(r"\{\{<\s*butterfly-cards(?:\s+\"?([^\s\">]+)\"?)?\s*>\}\}")
CARDS_DEFAULT = "pages/_cards.html"
CARDS_MISSING = "<p><em>The cards appear once <code>butterfly run</code> has run.</em></p>"
_RAW_HTML = re.compile(r"^```\{=html\}\n(.*?)\n```\s*$", flags=re.S | re.M)


def render_index(root: Path, pages: list[Page], title: str, pages_dir: Path | None = None) -> str:
    """``index.qmd`` as HTML: includes and the ``butterfly-cards`` shortcode resolved (``pages/...`` from
    ``pages_dir``), raw-HTML blocks passed through, links to sources -> .html."""
    import mistune

    meta, text = _front_matter((root / "index.qmd").read_text())

    def resolve(rel: str) -> Path:
        return (pages_dir / rel[len("pages/") :]) if pages_dir and rel.startswith("pages/") else root / rel

    def include(m: re.Match) -> str:
        path = resolve(m.group(1))
        return path.read_text() if path.exists() else f"<p><i>Missing include: {esc(m.group(1))}</i></p>"

    raw: list[str] = []

    def stash(html: str) -> str:
        raw.append(html)
        return f"\n\nBPRAWHTML{len(raw) - 1}\n\n"

    def cards(m: re.Match) -> str:
        path = resolve(m.group(1) or CARDS_DEFAULT)
        return stash(path.read_text(encoding="utf-8") if path.exists() else CARDS_MISSING)

    text = _INCLUDE.sub(include, text)
    text = _CARDS.sub(cards, text)
    text = _RAW_HTML.sub(lambda m: stash(m.group(1)), text)
    # the HTML renderer returns a string; mistune's union type also covers its AST renderer
    body = cast(str, mistune.create_markdown(escape=False, plugins=["table", "strikethrough"])(text))
    for i, block in enumerate(raw):
        body = body.replace(f"<p>BPRAWHTML{i}</p>", block)
    body = re.sub(r'href="([^":]+)\.(?:ipynb|qmd)"', r'href="\1.html"', body)
    page_title = str(meta.get("title", title))
    subtitle = f'<p class="bp-subtitle">{esc(meta["subtitle"])}</p>' if meta.get("subtitle") else ""
    return INDEX_TEMPLATE.format(
        title=esc(page_title),
        nav=navbar_html(pages, "index.html", title),
        subtitle=subtitle,
        body=body,
        note=_note(),
    )


def published_files(pages_dir: Path) -> tuple[list[Path], list[Path]]:
    """The executed notebooks and data files that ``pages_dir/run.json`` lists (and run.json itself): what the
    run made, and nothing else that may lie in the folder."""
    record_path = Path(pages_dir) / RUN_RECORD
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        raise FileNotFoundError(
            f"no readable {record_path}: run `butterfly run` first (it executes the pages and lists them there)"
        ) from None
    notebooks: list[Path] = []
    data: list[Path] = [record_path]
    for page in record.get("pages", []):
        nb = Path(pages_dir) / str(page["notebook"])
        if not nb.is_file():
            raise FileNotFoundError(
                f"{record_path} lists {page['notebook']}, which is missing: run `butterfly run`"
            )
        notebooks.append(nb)
        data += [nb.parent / f for f in page.get("data_files", []) if (nb.parent / f).suffix in DATA_SUFFIXES]
    if not notebooks:
        raise FileNotFoundError(f"{record_path} lists no executed pages: run `butterfly run` first")
    return notebooks, data


def build_site(
    root: Path = PROJECT_ROOT,
    pages_dir: Path | None = None,
    out_dir: Path | None = None,
    log: Callable[[str], None] = print,
) -> FallbackResult:
    """Build ``out_dir`` (default ``_site``) from ``pages_dir`` (default ``pages``) without Quarto."""
    root = Path(root)
    pages_dir = Path(pages_dir or root / "pages")
    out_dir = Path(out_dir or root / "_site")
    notebooks, data_files = published_files(pages_dir)
    pages, title = site_pages(root), site_title(root)
    titles = {p.name: p.title for p in pages}
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    written: list[Path] = []
    data: list[Path] = []
    for nb in notebooks:
        rel_html = (Path("pages") / nb.relative_to(pages_dir)).with_suffix(".html")
        target = out_dir / rel_html
        target.parent.mkdir(parents=True, exist_ok=True)
        sub = nb.parent.relative_to(pages_dir)
        page_title = titles.get(nb.stem, nb.stem) + (f" · {sub.as_posix()}" if str(sub) != "." else "")
        html = _inject(
            export_notebook(nb), navbar_html(pages, rel_html.as_posix(), title), f"{page_title} – {title}"
        )
        target.write_text(html, encoding="utf-8")
        written.append(target)
        log(f"  fallback: {rel_html}")
    for f in data_files:
        dest = out_dir / "pages" / f.relative_to(pages_dir)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(f, dest)
        data.append(dest)
    index = out_dir / "index.html"
    index.write_text(render_index(root, pages, title, pages_dir), encoding="utf-8")
    written.insert(0, index)
    log(
        f"Quarto is not installed: built {out_dir} with the nbconvert fallback "
        f"({len(written)} pages, {len(data)} data files)."
    )
    return FallbackResult(out_dir=out_dir, pages=written, data_files=data)
