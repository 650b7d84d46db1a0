"""What Quarto would do with this project, for tests: Quarto's rules ported from its source (quarto-cli 1.7).

Look here when a test asks how Quarto treats a file, since Quarto cannot be installed on these machines. Each
function names the quarto-cli file it follows; pandoc itself comes from the ``pypandoc-binary`` wheel (the
test extra), so tables are read by the real pandoc HTML reader, as Quarto reads them.

- ``listing_includes``: ``src/core/handlers/include-standalone.ts``. While Quarto lists a project's inputs
  (``projectInputFiles``, before the pre-render step) it expands ``{{< include >}}`` in each input; a missing
  file fails the whole render ("Include directive failed").
- ``ref_type`` and ``table_hazards``: ``src/resources/filters/common/refs.lua`` (``refType``: the letters
  before the first ``-`` of an id) and ``quarto-pre/parsefiguredivs.lua`` (a table with a caption becomes a
  cross-reference float when it has an id, or a ``{#tbl-...}`` label at the end of its caption; a float whose id
  reads as another type warns "ref type 'x' does not match category ref type 'tbl'"). Raw HTML tables are read
  with ``pandoc.read(table, "html")`` first (``normalize/parsehtml.lua``).
- ``gitignore_additions``: ``src/project/project-gitignore.ts`` (``ensureGitignore``, run by every project
  render): the lines Quarto would append to ``.gitignore``.
- ``widget_head`` and ``widget_after_body``: ``src/core/jupyter/widgets.ts`` (as released since quarto-cli
  #7076: jQuery relocated, ``define('jquery')`` not) and the step of Quarto's HTML dependency processing that
  moves ``script[data-relocate-top]`` before the head's first ``<script>``: the tags Quarto writes into a page
  whose notebook has HTML, JavaScript or Jupyter-widget outputs.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

QUARTO_IGNORE = ["/.quarto/"]  # kQuartoIgnore = [`/${kQuartoScratch}/`], kQuartoScratch = ".quarto"
_BLOCK_SHORTCODE = re.compile(r"^\s*\{\{<\s*(\S+)(.*?)>\}\}\s*$")

# ---------------------------------------------------------------------------------------------- listing


def listing_includes(path: Path) -> list[tuple[str, Path]]:
    """``(written, resolved path)`` of every include Quarto expands in ``path`` while listing the project (block
    shortcodes on a line of their own, relative to the including file), recursively for included files that
    exist."""
    found: list[tuple[str, Path]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        m = _BLOCK_SHORTCODE.match(line)
        if not m or m.group(1).lower() != "include":
            continue
        written = m.group(2).split()[0].strip("\"'")
        target = (path.parent / written) if not written.startswith("/") else Path(written)
        found.append((written, target))
        if target.is_file():
            found += listing_includes(target)
    return found


# ---------------------------------------------------------------------------------------------- cross-references


def ref_type(identifier: str) -> str | None:
    """``refType(id)``: ``string.match(id, "^(%a+)%-")`` lowercased (``%a`` is an ASCII letter)."""
    m = re.match(r"^([A-Za-z]+)-", identifier)
    return m.group(1).lower() if m else None


def pandoc_path() -> str:
    import pypandoc

    return pypandoc.get_pandoc_path()


_READ_TABLES = """
local doc = pandoc.read(io.read("a"), "html")
local found = {}
doc:walk({ Table = function(t)
  table.insert(found, { id = t.identifier, caption = pandoc.utils.stringify(t.caption.long) })
end })
io.write(pandoc.json.encode(found))
"""


def read_tables(html: str, tmp: Path) -> list[dict[str, str]]:
    """Every ``<table>`` of ``html`` as pandoc's HTML reader sees it: ``{"id", "caption"}``."""
    tables = re.findall(r"<table\b.*?</table>", html, flags=re.S | re.I)
    if not tables:
        return []
    script = tmp / "read_tables.lua"
    script.write_text(_READ_TABLES, encoding="utf-8")
    done = subprocess.run(
        [pandoc_path(), "lua", str(script)],
        input="\n".join(tables),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout or "[]")


def table_hazards(html: str, tmp: Path) -> list[str]:
    """What in ``html``'s tables Quarto would read as a cross-reference label (empty: nothing)."""
    hazards = []
    for t in read_tables(html, tmp):
        ident, caption = t["id"], t["caption"].strip()
        kind = ref_type(ident) if ident else None
        if kind is not None and kind != "tbl":
            hazards.append(f"table id {ident!r}: Quarto reads {kind!r} as its cross-reference type and warns")
        elif ident and caption:
            hazards.append(
                f"table id {ident!r} with a caption: Quarto makes it a numbered cross-reference float"
            )
        if re.search(r"\{#[^}]*\}\s*$", caption):
            hazards.append(
                f"caption {caption!r} ends with a {{#label}}: Quarto takes it as the table's label"
            )
    return hazards


# ---------------------------------------------------------------------------------------------- .gitignore


def gitignore_additions(root: Path) -> list[str]:
    """The lines ``ensureGitignore`` would add to ``root/.gitignore`` (it rewrites the file only when there are)."""
    path = root / ".gitignore"
    env = root / "env"
    required = (
        ["/env/"] if (env / "pyvenv.cfg").exists() or (env / "conda-meta").exists() else []
    ) + QUARTO_IGNORE
    if not path.exists():
        return required
    lines = [line.strip() for line in re.split(r"\r?\n", path.read_text(encoding="utf-8"))]
    missing = [e for e in required if e not in lines]
    if "/_*.local" not in lines and any(re.match(r"^_.*?\.local$", p.name) for p in root.iterdir()):
        missing.append("/_*.local")
    return missing


# ---------------------------------------------------------------------------------------------- widget pages

REQUIRE_JS = (
    '<script src="https://cdnjs.cloudflare.com/ajax/libs/require.js/2.3.6/require.min.js" '
    'integrity="sha512-c3Nl8+7g4LMSTdrm621y7kf9v3SDPnhxLNhcjFJbKECVnmZHTdo+IRO05sNLTH/D3vA6u1X32ehoLC7WFVdheg==" '
    'crossorigin="anonymous"></script>'
)
JQUERY = (
    '<script src="https://cdnjs.cloudflare.com/ajax/libs/jquery/3.5.1/jquery.min.js" '
    'integrity="sha512-bLT0Qm9VnAYZDflyKcBaQ2gg0hSYNQrJ8RilYldYQ1FxQYoCLtUjuuRuZo+fjqhx/qtq/1itJ0C2ejDxltZVFg==" '
    'crossorigin="anonymous" data-relocate-top="true"></script>'
)
DEFINE_JQUERY = (
    "<script type=\"application/javascript\">define('jquery', [],function() {return window.jQuery;})</script>"
)
EMBED_AMD = (
    '<script src="https://unpkg.com/@jupyter-widgets/html-manager@*/dist/embed-amd.js" '
    'crossorigin="anonymous"></script>'
)
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def widget_head(nb: dict[str, Any]) -> list[str]:
    """The head lines ``includesForJupyterWidgetDependencies`` writes for ``nb`` (``isDisplayData``: display data
    and execute results). The jQuery tag still carries ``data-relocate-top``; ``relocate_top`` applies it."""
    js = _has_output_any(nb, ("application/javascript", "text/html"))
    widgets = _has_output_any(nb, (WIDGET_VIEW,))
    head = [REQUIRE_JS, JQUERY, DEFINE_JQUERY] if js or widgets else []
    return head + ([EMBED_AMD] if widgets else [])


def _has_output_any(nb: dict[str, Any], mimes: tuple[str, ...]) -> bool:
    return any(
        o.get("output_type") in ("display_data", "execute_result") and any(m in o.get("data", {}) for m in mimes)
        for c in nb.get("cells", [])
        if c.get("cell_type") == "code"
        for o in c.get("outputs", [])
    )  # fmt: skip


def widget_after_body(nb: dict[str, Any]) -> str:
    """The widget state Quarto writes after the body (``<script type=...>`` unquoted, as widgets.ts does)."""
    state = nb.get("metadata", {}).get("widgets", {}).get(WIDGET_STATE)
    if not state or not _has_output_any(nb, (WIDGET_VIEW,)):
        return ""
    return f"<script type={WIDGET_STATE}>\n{json.dumps(state)}\n</script>\n"


def relocate_top(head: str) -> str:
    """``script[data-relocate-top]`` moved before the first ``<script>`` of the head, the attribute removed."""
    movers = re.findall(r'<script[^>]*\sdata-relocate-top="true"[^>]*>.*?</script>', head, flags=re.S)
    if not movers:
        return head
    for m in movers:
        head = head.replace(m, "", 1)
    first = head.find("<script")
    moved = "".join(m.replace(' data-relocate-top="true"', "") for m in movers)
    return head[:first] + moved + head[first:] if first >= 0 else head
