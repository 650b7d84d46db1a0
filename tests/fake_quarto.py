"""A stand-in for ``quarto render`` of this project, for tests on machines where Quarto cannot be installed.

Look here to see what the fresh-clone tests assume of Quarto. It follows the order of quarto-cli 1.7's
``renderProject`` (``src/command/render/project.ts``) with the rules in ``tests/quarto_rules.py``:

1. list the project's inputs (``project.render`` globs, files starting with ``_`` or ``.`` skipped), expanding
   every ``{{< include >}}`` of each input; a missing include fails as Quarto's does ("Include directive failed");
2. ``ensureGitignore``: append the missing lines to ``.gitignore`` (trimmed lines, rewritten as Quarto writes);
3. run each ``project.pre-render`` command with ``QUARTO_PROJECT_RENDER_ALL=1`` and the output folder;
4. list the inputs again, and "render": the ``butterfly-cards`` shortcode of ``index.qmd`` runs through the
   extension's Lua under pandoc (``pandoc lua`` with the few ``quarto.*`` functions it uses).

It writes no pages. ``_site/fake-quarto.json`` records the inputs of both listings and the shortcode's output.
Run: ``python tests/fake_quarto.py render`` in the project folder.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.quarto_rules import gitignore_additions, listing_includes, pandoc_path  # noqa: E402

SHORTCODE_HARNESS = """
-- the parts of Quarto's Lua API the shortcode uses
local project_dir, extension, raw = arg[1], arg[2], arg[3]
local warnings = {}
quarto = {
  project = { directory = project_dir },
  log = { warning = function(msg) table.insert(warnings, msg) end },
  doc = { is_format = function(name) return name == "html" end },
}
local shortcodes = dofile(extension)
local name, rest = raw:match("^%s*(%S+)%s*(.-)%s*$")
local args = {}
for word in rest:gmatch("%S+") do
  table.insert(args, pandoc.read(word, "markdown").blocks[1].content)
end
local out = shortcodes[name](args, {}, {}, rest, "block")
io.write(pandoc.json.encode({ warnings = warnings, html = pandoc.write(pandoc.Pandoc(pandoc.Blocks(out)), "html") }))
"""
_SHORTCODE = re.compile(r"^\{\{<\s*(.*?)\s*>\}\}\s*$", flags=re.M)


def list_inputs(root: Path, config: dict) -> list[str]:
    found: list[str] = []
    for pattern in config["project"].get("render", []):
        for match in sorted(glob.glob(str(root / pattern), recursive=True)):
            rel = Path(match).relative_to(root)
            if any(part.startswith(("_", ".")) for part in rel.parts):
                continue
            for _written, target in listing_includes(Path(match)):
                if not target.is_file():
                    raise SystemExit(
                        f"ERROR: Include directive failed.\n  in file {match}, \n  could not find file {target}."
                    )
            found.append(rel.as_posix())
    return found


def ensure_gitignore(root: Path) -> list[str]:
    missing = gitignore_additions(root)
    if missing:
        path = root / ".gitignore"
        lines = [line.strip() for line in re.split(r"\r?\n", path.read_text())] if path.exists() else []
        path.write_text("\n".join(lines + missing) + "\n")
    return missing


def shortcodes(root: Path, source: Path) -> list[dict]:
    """Every block shortcode of ``source`` that an extension of the project defines, run through its Lua."""
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        harness = Path(tmp) / "harness.lua"
        harness.write_text(SHORTCODE_HARNESS)
        for m in _SHORTCODE.finditer(source.read_text()):
            name = m.group(1).split()[0]
            for ext in sorted((root / "_extensions").glob("**/_extension.yml")):
                lua = [
                    ext.parent / f
                    for f in yaml.safe_load(ext.read_text())["contributes"].get("shortcodes", [])
                ]
                if not any(f'["{name}"]' in f.read_text() for f in lua):
                    continue
                done = subprocess.run(
                    [pandoc_path(), "lua", str(harness), str(root), str(lua[0]), m.group(1)],
                    capture_output=True, text=True, timeout=120,
                )  # fmt: skip
                if done.returncode != 0:
                    raise SystemExit(f"ERROR: shortcode {name} failed: {done.stderr}")
                results.append({"shortcode": name, **json.loads(done.stdout)})
    return results


def main(argv: list[str]) -> int:
    if argv != ["render"]:
        print(
            f"fake quarto: only `quarto render` of the whole project is simulated, not {argv}",
            file=sys.stderr,
        )
        return 2
    root = Path.cwd()
    config = yaml.safe_load((root / "_quarto.yml").read_text())
    first = list_inputs(root, config)
    added = ensure_gitignore(root)
    out_dir = config["project"].get("output-dir", "_site")
    env = {**os.environ, "QUARTO_PROJECT_RENDER_ALL": "1", "QUARTO_PROJECT_OUTPUT_DIR": out_dir,
           "QUARTO_PROJECT_INPUT_FILES": "\n".join(first)}  # fmt: skip
    pre = config["project"].get("pre-render", [])
    for command in [pre] if isinstance(pre, str) else pre:
        done = subprocess.run(shlex.split(command), cwd=root, env=env, check=False)
        if done.returncode != 0:
            print(f"ERROR: pre-render script {command} failed with status {done.returncode}", file=sys.stderr)
            return 1
    second = list_inputs(root, config)
    record = {
        "first_listing": first,
        "gitignore_added": added,
        "second_listing": second,
        "shortcodes": shortcodes(root, root / "index.qmd"),
    }
    (root / out_dir).mkdir(exist_ok=True)
    (root / out_dir / "fake-quarto.json").write_text(json.dumps(record, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
