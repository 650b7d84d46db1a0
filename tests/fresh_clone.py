"""A fresh clone of this checkout, and the site a user builds in it, made once per test session for every worker.

Look here for how the end-to-end tests share one built site. ``clone_checkout`` makes a ``git clone`` of the
working tree with its uncommitted changes committed on top (what the next commit would hold). ``build_offline``
runs ``butterfly site --offline`` there as a user would (a subprocess, the clone's own package, no Quarto on
PATH unless given). ``shared_build`` does both once per ``pytest`` run: under pytest-xdist the first worker to ask
builds while the others wait on a lock, and every worker gets the same folder and the build's exit status and
output (a failed build is reported to each, not rebuilt).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from butterfly_lib.settings import PROJECT_ROOT


def git(*args: str, cwd: Path, **kw) -> subprocess.CompletedProcess:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}  # fmt: skip
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, check=True, timeout=300, **kw
    )


def clone_checkout(dest: Path) -> Path:
    """``git clone`` of this checkout into ``dest`` with its uncommitted changes (tracked and new, not ignored)
    committed on top, so the clone holds exactly what the next commit of this working tree would."""
    git("clone", "--quiet", "--no-hardlinks", str(PROJECT_ROOT), str(dest), cwd=PROJECT_ROOT.parent)
    diff = git("diff", "HEAD", "--binary", cwd=PROJECT_ROOT).stdout
    if diff.strip():
        git("apply", "--whitespace=nowarn", "-", cwd=dest, input=diff)
    new = (
        git("ls-files", "--others", "--exclude-standard", "-z", cwd=PROJECT_ROOT).stdout.decode().split("\0")
    )
    for rel in filter(None, new):
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(PROJECT_ROOT / rel, dest / rel)
    git("add", "-A", cwd=dest)
    git("commit", "-q", "--allow-empty", "-m", "the working tree as it stands", cwd=dest)
    return dest


def build_offline(clone: Path, bin_dir: Path | None = None) -> subprocess.CompletedProcess:
    """``butterfly site --offline`` in the clone, with the clone's own package, and a PATH that has Quarto only
    where ``bin_dir`` provides it."""
    path = [
        d for d in os.environ.get("PATH", "").split(os.pathsep) if d and not (Path(d) / "quarto").exists()
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUTTERFLY_")}
    env.update(PATH=os.pathsep.join(([str(bin_dir)] if bin_dir else []) + path), PYTHONPATH=str(clone))
    return subprocess.run(
        [sys.executable, "-m", "butterfly_lib", "site", "--offline"],
        cwd=clone, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip


@dataclass(frozen=True)
class Build:
    """A fresh clone and what ``butterfly site --offline`` (the nbconvert fallback) did in it."""

    clone: Path
    returncode: int
    stdout: str
    stderr: str

    @property
    def pages(self) -> Path:
        return self.clone / "pages"

    @property
    def site(self) -> Path:
        return self.clone / "_site"

    def check(self) -> Build:
        assert self.returncode == 0, (
            "the fresh clone's build failed:\n" + self.stdout[-3000:] + self.stderr[-3000:]
        )
        return self


def shared_build(root: Path) -> Build:
    """The fallback build of a fresh clone under ``root`` (a folder every worker of this run shares), made by the
    first caller; later callers, in this process or another, get the same build."""
    root.mkdir(parents=True, exist_ok=True)
    result = root / "fresh-site.json"
    with open(root / "fresh-site.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not result.exists():
            clone = clone_checkout(root / "fresh-site" / "clone")
            done = build_offline(clone)
            result.write_text(json.dumps({"clone": str(clone), "returncode": done.returncode,
                                          "stdout": done.stdout, "stderr": done.stderr}))  # fmt: skip
    data = json.loads(result.read_text())
    return Build(Path(data["clone"]), data["returncode"], data["stdout"], data["stderr"])
