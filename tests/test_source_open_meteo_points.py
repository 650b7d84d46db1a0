"""Weather at many points: grid snapping (property tests) and request economy of ``daily_at_points``.

Location objects in the replies are the real ``historical_weather.json`` recording, one copy per grid cell
with that cell's coordinates written in (Open-Meteo answers several coordinates as a list of such objects).
"""

from __future__ import annotations

import json
import math
import uuid

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from butterfly_lib.errors import InvalidInput, SourceError
from butterfly_lib.http import make_retry
from butterfly_lib.provenance import provenance_of
from butterfly_lib.sources.open_meteo import daily_at_points, snap_to_grid
from butterfly_lib.sources.open_meteo.grid import GRID_DEGREES
from tests.conftest import FIXTURES, make_session
from tools.replay import Reply

ARCHIVE = "/open_meteo_archive/archive"
RECORDING = json.loads((FIXTURES / "open-meteo" / "historical_weather.json").read_text())
SPAN = ("1953-01-31", "1953-02-01")
TZ = "Europe/Amsterdam"

lat_st = st.floats(-89.0, 89.0, allow_nan=False)
lon_st = st.floats(-179.0, 179.0, allow_nan=False)


@given(
    st.lists(st.tuples(lat_st, lon_st), min_size=1, max_size=300),
    st.sampled_from(sorted(set(GRID_DEGREES.values()))),
)
def test_snapped_points_lie_within_half_a_cell(points, resolution):
    lat, lon = np.array(points).T
    snapped = snap_to_grid(lat, lon, resolution)
    assert len(snapped) == len(points)
    eps = 1e-6
    assert (np.abs(snapped["grid_lat"] - lat) <= resolution / 2 + eps).all()
    assert (np.abs(snapped["grid_lon"] - lon) <= resolution / 2 + eps).all()
    # on the grid: integer multiples of the spacing
    k = snapped["grid_lat"] / resolution
    assert np.allclose(k, np.round(k), atol=1e-6)


@pytest.mark.parametrize(
    "bad", [([91.0], [0.0]), ([0.0], [181.0]), ([np.nan], [0.0]), ([1.0, 2.0], [1.0]), ([], [])]
)
def test_snap_rejects_bad_coordinates(bad):
    with pytest.raises(InvalidInput):
        snap_to_grid(*bad, 0.1)


def _cells(lat, lon, resolution):
    """Distinct cells as the test computes them, independently of the package: sorted by (lat, lon)."""
    g = np.round(np.round(np.column_stack([lat, lon]) / resolution) * resolution, 6)
    return np.unique(g, axis=0)


def _register(server, cells, chunk):
    for lo in range(0, len(cells), chunk):
        part = cells[lo : lo + chunk]
        body = []
        for glat, glon in part:
            item = json.loads(json.dumps(RECORDING))
            item["latitude"], item["longitude"] = float(glat), float(glon)
            body.append(item)
        query = {"latitude": ",".join(f"{v:.6g}" for v in part[:, 0])}
        server.add(ARCHIVE, Reply.json(body if len(body) > 1 else body[0]), params=query)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(st.tuples(st.floats(45.0, 46.0), st.floats(-123.0, -122.0)), min_size=1, max_size=260),
    st.integers(1, 100),
)
def test_requests_equal_ceil_unique_cells_over_chunk(replay, point_sources_at, tmp_path, points, chunk):
    point_sources_at(replay)
    replay.routes.clear()
    replay.requests.clear()
    lat, lon = np.array(points).T
    cells = _cells(lat, lon, 0.1)
    _register(replay, cells, chunk)
    session = make_session(
        tmp_path / f"{uuid.uuid4().hex}.sqlite", retry=make_retry(total=0), timeout=(2, 2), server=replay
    )
    try:
        df = daily_at_points(
            lat, lon, *SPAN, variables=["precipitation_sum"], timezone=TZ, chunk=chunk, session=session
        )
    finally:
        session.close()
    assert len(replay.requests_to(ARCHIVE)) == math.ceil(len(cells) / chunk)
    assert all(len(r.query["latitude"].split(",")) <= chunk for r in replay.requests_to(ARCHIVE))
    got = df[["grid_lat", "grid_lon"]].drop_duplicates().to_numpy()
    assert len(got) == len(cells)
    assert not df.duplicated(["grid_lat", "grid_lon", "date"]).any()
    assert len(df) == 2 * len(cells)
    assert df["precipitation_mm"].tolist() == [11.9, 12.5] * len(cells)


def test_points_tidy_frame_and_join_back(replay, point_sources_at, session):
    point_sources_at(replay)
    lat = np.array([45.512, 45.519, 45.49, 45.61, 45.612])
    lon = np.array([-122.681, -122.676, -122.70, -122.56, -122.568])
    cells = _cells(lat, lon, 0.1)
    assert len(cells) == 2  # five sightings, two ERA5-Land cells
    _register(replay, cells, 100)
    df = daily_at_points(
        lat, lon, *SPAN, variables=["precipitation_sum", "wind_gusts_10m_max"], timezone=TZ, session=session
    )
    assert list(df.columns[:5]) == ["grid_lat", "grid_lon", "model_lat", "model_lon", "date"]
    assert len(replay.requests_to(ARCHIVE)) == 1
    assert replay.requests_to(ARCHIVE)[0].query["timezone"] == TZ
    joined = snap_to_grid(lat, lon, df.attrs["resolution_deg"]).merge(df, on=["grid_lat", "grid_lon"])
    assert len(joined) == 5 * 2 and not joined["precipitation_mm"].isna().any()
    prov = provenance_of(df)
    assert prov.source == "open_meteo_archive" and "2 grid cells" in prov.notice


def test_points_response_with_too_few_locations(replay, point_sources_at, session):
    point_sources_at(replay)
    replay.add(ARCHIVE, Reply.json([RECORDING]))
    with pytest.raises(SourceError, match="asked for 2 locations"):
        daily_at_points(
            [45.5, 46.5],
            [-122.6, -122.6],
            *SPAN,
            variables=["precipitation_sum"],
            timezone=TZ,
            session=session,
        )


@pytest.mark.parametrize(
    "kw",
    [
        {"chunk": 101},
        {"endpoint": "radar"},
        {"timezone": "Mars/Olympus"},
        {"model": "hrrr"},
        {"variables": ["bogus"]},
    ],
)
def test_points_validation_before_any_request(replay, point_sources_at, session, kw):
    point_sources_at(replay)
    with pytest.raises(InvalidInput):
        daily_at_points([45.5], [-122.6], *SPAN, session=session, **kw)
    assert replay.requests == []
