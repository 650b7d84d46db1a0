"""Place validation: clear errors before any request."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from butterfly_lib.errors import InvalidInput
from butterfly_lib.settings import DEFAULT_PLACE as PORTLAND
from butterfly_lib.settings import Place


def test_portland_default():
    assert (PORTLAND.latitude, PORTLAND.longitude) == (45.52, -122.68)
    assert PORTLAND.timezone == "America/Los_Angeles" and PORTLAND.noaa_station == "USW00024229"
    swlat, swlng, nelat, nelng = PORTLAND.bbox()
    assert swlat < 45.52 < nelat and swlng < -122.68 < nelng


@pytest.mark.parametrize(
    "kw,name,allowed",
    [
        ({"latitude": 91}, "latitude", "[-90, 90]"),
        ({"longitude": -181}, "longitude", "[-180, 180]"),
        ({"latitude": float("nan")}, "latitude", "[-90, 90]"),
        ({"radius_km": 0}, "radius_km", "(0, 500]"),
        ({"radius_km": -5}, "radius_km", "(0, 500]"),
        ({"radius_km": 20000}, "radius_km", "(0, 500]"),
        ({"timezone": "Mars/Olympus"}, "timezone", "IANA"),
        ({"timezone": "Pacific"}, "timezone", "IANA"),
        ({"noaa_station": "PDX"}, "noaa_station", "GHCN-Daily"),
        ({"inat_place_id": "ten"}, "inat_place_id", "positive whole number"),
        ({"latitude": "45"}, "latitude", "a number"),
    ],
)
def test_bad_place_names_value_and_allowed(kw, name, allowed):
    args = dict(name="X", latitude=45.0, longitude=-122.0) | kw
    with pytest.raises(InvalidInput) as err:
        Place(**args)
    msg = str(err.value)
    assert name in msg and repr(kw[name])[:8] in msg and allowed in msg


def test_from_dict_rejects_unknown_keys():
    with pytest.raises(InvalidInput, match="altitude"):
        Place.from_dict({"name": "X", "latitude": 1, "longitude": 2, "altitude": 3})


@given(st.floats(-90, 90), st.floats(-180, 180), st.floats(0.1, 500))
def test_valid_places_accepted(lat, lon, r):
    p = Place("Somewhere", lat, lon, r)
    swlat, swlng, nelat, nelng = p.bbox()
    assert swlat <= lat <= nelat and swlng <= lon <= nelng
