"""Are a build's data files the same as before? Fingerprints of the files a run leaves in ``pages/``.

Look here to see what "the pages' output is identical" is checked against. ``fingerprint(pages_dir)`` hashes
every data file of a run (``*.csv``, ``*-summary.json``, ``*-provenance.json``, ``run.json``, the landing page's
cards ``_cards.html``, formerly ``_cards.md``):
CSVs and summaries byte for byte; in the provenance records, ``run.json`` and the landing page's cards the
moments of the run (``fetched_at``, ``expires``, ``generated_at``, the seconds each request took, the
"fetched ... UTC" of a card) are blanked first, as they differ between any two runs. ``reference_outputs.json``
holds the fingerprints of the offline build of the code before the performance work (``bench_build.BEFORE``),
rewritten by ``bench_build.py`` from the run of that code it makes beside the current one; ``compare`` lists the
files that differ.

Run: ``.venv/bin/python benchmarks/outputs.py PAGES_DIR [--write]`` (``--write`` replaces the reference)
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REFERENCE = HERE / "reference_outputs.json"
#: keys blanked before comparing: moments of the run, and ``store`` (the record's file, in the run's own folder)
VOLATILE = frozenset({"fetched_at", "expires", "generated_at", "seconds", "store"})
#: the landing page's cards: Markdown until issue 14, then HTML read by a Quarto shortcode
CARDS = ("_cards.md", "_cards.html")
_CARD_TIME = re.compile(r"fetched (\d{4}-\d\d-\d\d \d\d:\d\d|\w{3} \d{1,2} \w{3} \d{4}, \d\d:\d\d) UTC")


def _blank(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: (None if k in VOLATILE else _blank(v)) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_blank(v) for v in obj]
    return obj


def normalized(path: Path) -> bytes:
    """The bytes compared for ``path`` (see the module docstring)."""
    raw = path.read_bytes()
    if path.name.endswith("-provenance.json") or path.name == "run.json":
        return json.dumps(_blank(json.loads(raw)), sort_keys=True).encode()
    if path.name in CARDS:
        return _CARD_TIME.sub("", raw.decode()).encode()
    return raw


def data_files(pages_dir: Path) -> list[Path]:
    return sorted(
        p for p in Path(pages_dir).rglob("*")
        if (p.suffix in (".csv", ".json", ".md") or p.name in CARDS) and p.is_file()
    )  # fmt: skip


def fingerprint(pages_dir: Path) -> dict[str, str]:
    """``{relative path: sha256 of its normalized bytes}`` for every data file under ``pages_dir``."""
    root = Path(pages_dir)
    return {str(p.relative_to(root)): hashlib.sha256(normalized(p)).hexdigest() for p in data_files(root)}


def compare(pages_dir: Path, reference: Path = REFERENCE) -> list[str]:
    """One line per file: "same" or what differs, against the reference fingerprints."""
    return compare_fingerprints(fingerprint(pages_dir), json.loads(reference.read_text())["files"])


def compare_fingerprints(got: dict[str, str], want: dict[str, str]) -> list[str]:
    """One line per file of either: "same" (with its hash) or what differs."""
    lines = []
    for name in sorted(set(want) | set(got)):
        if name not in got:
            lines.append(f"MISSING   {name}")
        elif name not in want:
            lines.append(f"NEW       {name}")
        elif got[name] != want[name]:
            lines.append(f"DIFFERENT {name}")
        else:
            lines.append(f"same      {name}  sha256 {got[name][:16]}")
    return lines


def write_reference(files: dict[str, str], made_by: str) -> None:
    """Replace ``reference_outputs.json`` with ``files`` (fingerprints of the code before the work)."""
    REFERENCE.write_text(json.dumps({
        "what": "fingerprints of the offline build's data files (benchmarks/outputs.py)",
        "made_by": f"{made_by}: the code before the performance work",
        "files": files,
    }, indent=2) + "\n")  # fmt: skip


def main() -> None:
    pages = Path(sys.argv[1])
    if "--write" in sys.argv:
        write_reference(fingerprint(pages), "an offline build written with --write")
        print(f"wrote {REFERENCE}")
        return
    lines = compare(pages)
    print("\n".join(lines))
    bad = [ln for ln in lines if not ln.startswith("same")]
    print("identical to the reference" if not bad else f"{len(bad)} file(s) differ from the reference")


if __name__ == "__main__":
    main()
