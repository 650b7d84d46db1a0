"""The publishing and test workflows say what the README and issue promise (GitHub runs them, not us)."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
WF = ROOT / ".github" / "workflows"


def _load(name: str) -> dict:
    data = yaml.safe_load((WF / name).read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as True
    return data


def _steps(job: dict) -> list[dict]:
    return job.get("steps", [])


def test_publish_daily_and_manual_live_strict_with_cache_and_pages():
    wf = _load("publish.yml")
    assert "schedule" in wf["on"] and wf["on"]["schedule"][0]["cron"]
    assert "workflow_dispatch" in wf["on"]
    steps = _steps(wf["jobs"]["build"])
    uses = [s.get("uses", "") for s in steps]
    assert any(u.startswith("actions/cache@") for u in uses)
    cache = next(s for s in steps if s.get("uses", "").startswith("actions/cache@"))
    assert "data/cache" in cache["with"]["path"] and cache["with"].get("restore-keys")
    assert "data/record" in cache["with"]["path"]  # the observation records: costly to download again
    setup = next(s for s in steps if s.get("uses", "").startswith("quarto-dev/quarto-actions/setup@"))
    # the plain Quarto way: `quarto render` alone, its pre-render step runs the notebooks, strict (live or fail)
    render = next(s for s in steps if s.get("run", "").strip() == "quarto render")
    assert render["env"] == {"BUTTERFLY_STRICT": "1"}
    runs = [s.get("run", "") for s in steps]
    assert not any("butterfly" in r for r in runs), (
        "the notebooks run in Quarto's pre-render step, not before it"
    )
    assert "BUTTERFLY_SKIP_RUN" not in (WF / "publish.yml").read_text()
    assert steps.index(cache) < steps.index(render) and steps.index(setup) < steps.index(render)
    install = next(s for s in steps if "pip install" in s.get("run", ""))
    assert steps.index(install) < steps.index(render)  # `butterfly` on PATH for the pre-render step
    assert any(u.startswith("actions/upload-pages-artifact@") for u in uses)
    deploy = _steps(wf["jobs"]["deploy"])
    assert any(s.get("uses", "").startswith("actions/deploy-pages@") for s in deploy)


def test_test_workflow_runs_the_readme_test_command():
    wf = _load("test.yml")
    assert {"push", "pull_request"} <= set(wf["on"])
    runs = " ".join(s.get("run", "") for job in wf["jobs"].values() for s in _steps(job))
    assert "make test" in runs
    assert "make test" in (ROOT / "README.md").read_text()
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_quarto_pre_render_is_the_runner():
    q = yaml.safe_load((ROOT / "_quarto.yml").read_text())
    assert q["project"]["pre-render"] == "butterfly run"
    assert q["execute"]["enabled"] is False and q["execute"]["freeze"] is False


def test_readme_says_quarto_render_on_a_fresh_clone():
    readme = (ROOT / "README.md").read_text()
    assert "`quarto render`" in readme and "fresh clone" in readme
    assert "BUTTERFLY_SKIP_RUN" not in readme and "7749" not in readme
