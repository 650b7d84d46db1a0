"""The site's parameters file (``site.yml``): which places to build and parameter overrides for every page.

Look here for what ``site.yml`` may contain. Top-level keys: ``places`` (a list; each item holds page parameters,
at least ``place_name``, ``latitude``, ``longitude`` and ``timezone``) and ``parameters`` (applied to every place;
a place's own keys win). Page parameters are the fields of ``butterfly_lib.params.PageParams`` except
``offline`` and ``output_dir``, which the runner sets. Every place is validated on load, before any request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import yaml

from butterfly_lib.errors import InvalidInput
from butterfly_lib.params import PageParams

TOP_LEVEL_KEYS = ("places", "parameters")
RUNNER_KEYS = ("offline", "output_dir")
PARAMETER_KEYS = tuple(f.name for f in fields(PageParams) if f.init and f.name not in RUNNER_KEYS)


@dataclass(frozen=True)
class PlaceRun:
    """One place of the site: its page parameters (validated) and the folder slug of its section."""

    parameters: dict[str, Any]
    slug: str

    @property
    def name(self) -> str:
        return str(self.parameters.get("place_name", PageParams.place_name))


@dataclass(frozen=True)
class SiteConfig:
    places: tuple[PlaceRun, ...]
    source: str = "defaults"


def slugify(name: str) -> str:
    """``"Portland, Oregon"`` -> ``"portland-oregon"``."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug or "place"


def _check_keys(mapping: Any, where: str, allowed: tuple[str, ...]) -> dict[str, Any]:
    if mapping is None:
        return {}
    if not isinstance(mapping, dict):
        raise InvalidInput(where, mapping, f"a mapping with keys from {list(allowed)}")
    unknown = sorted(set(mapping) - set(allowed))
    if unknown:
        raise InvalidInput(
            f"{where} key", unknown[0] if len(unknown) == 1 else unknown, f"one of {list(allowed)}"
        )
    return dict(mapping)


def site_config_from_dict(data: Any, source: str = "site.yml") -> SiteConfig:
    """Validate a parsed ``site.yml``; unknown keys raise ``InvalidInput`` listing the allowed ones."""
    top = _check_keys(data, source, TOP_LEVEL_KEYS)
    common = _check_keys(top.get("parameters"), f"{source} parameters", PARAMETER_KEYS)
    places_raw = top.get("places") or [{}]
    if not isinstance(places_raw, list):
        raise InvalidInput(f"{source} places", places_raw, "a list of places (mappings of page parameters)")
    places: list[PlaceRun] = []
    for i, raw in enumerate(places_raw):
        own = _check_keys(raw, f"{source} places[{i}]", PARAMETER_KEYS)
        merged = {**common, **own}
        PageParams(**merged)  # validates every value now, before any notebook runs
        run = PlaceRun(parameters=merged, slug=slugify(str(merged.get("place_name", PageParams.place_name))))
        if any(p.slug == run.slug for p in places):
            raise InvalidInput(
                f"{source} places[{i}].place_name", run.name, "a name not used by another place"
            )
        places.append(run)
    return SiteConfig(places=tuple(places), source=source)


def load_site_config(path: str | Path | None = None) -> SiteConfig:
    """Read ``path`` (default: ``site.yml`` in the project root when it exists, else Portland defaults)."""
    from butterfly_lib.config import PROJECT_ROOT

    if path is None:
        default = PROJECT_ROOT / "site.yml"
        if not default.exists():
            return site_config_from_dict({}, source="defaults")
        path = default
    path = Path(path)
    if not path.exists():
        raise InvalidInput("--params", str(path), "an existing YAML file such as site.yml")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise InvalidInput("--params", str(path), f"valid YAML ({exc})") from None
    return site_config_from_dict(data or {}, source=path.name)
