"""Property tests (hypothesis) of what the phenology estimator and its helpers guarantee.

Guaranteed: percentiles ordered (p10 <= p50 <= p90, by the monotone rearrangement), every interval contains its
estimate (re-centred percentile interval), n_eff <= n, scale equivariance (the Weibull has no location in
phenesse's form, and the located form scales its origin too), weights that are all equal change nothing.
Not guaranteed (and so not tested): that the onset is after or before the earliest sighting. The 10th
percentile is usually later than the first sighting, but for tiny samples it can be earlier (the fitted
curve extends before the data); ``test_onset_is_not_far_outside_the_data`` checks only that it stays within
the sample's own range widened by its spread.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from butterfly_lib.analysis.phenology import censor_dates, grouped_percentiles, kish_n_eff
from butterfly_lib.analysis.phenology.skill import skill_summary

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

samples = st.lists(st.floats(min_value=1.0, max_value=3000.0, allow_nan=False), min_size=3, max_size=60)


def _weights(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0.05, 3.0, n)


@SETTINGS
@given(samples, st.integers(0, 10_000), st.sampled_from(["profile", "zero"]))
def test_ordered_and_intervals_contain_estimates(values, seed, location):
    x = np.asarray(values)
    res = grouped_percentiles(x, np.zeros(x.size, int), _weights(x.size, seed), n_bias=30, n_boot=40,
                              location=location, seed=seed)  # fmt: skip
    est, lo, hi = res.estimate[0], res.ci_low[0], res.ci_high[0]
    assert np.all(np.isfinite(est))
    assert np.all(np.diff(est) >= -1e-9 * np.abs(est).max())
    assert np.all(lo <= est + 1e-9 * np.abs(est).max()) and np.all(est <= hi + 1e-9 * np.abs(est).max())
    assert 0 < res.n_eff[0] <= res.n[0] + 1e-9


@SETTINGS
@given(samples, st.floats(min_value=0.01, max_value=100.0), st.integers(0, 1000))
def test_scale_equivariance(values, c, seed):
    x = np.asarray(values)
    g = np.zeros(x.size, int)
    a = grouped_percentiles(x, g, n_bias=20, n_boot=20, seed=seed)
    b = grouped_percentiles(c * x, g, n_bias=20, n_boot=20, seed=seed)
    assert np.allclose(b.estimate, c * a.estimate, rtol=1e-5, atol=1e-6 * c)
    assert np.allclose(b.ci_low, c * a.ci_low, rtol=1e-5, atol=1e-6 * c)


@SETTINGS
@given(samples, st.floats(min_value=0.1, max_value=10.0))
def test_equal_weights_are_no_weights(values, w):
    x = np.asarray(values)
    g = np.zeros(x.size, int)
    a = grouped_percentiles(x, g, None, n_bias=10, n_boot=0, seed=1)
    b = grouped_percentiles(x, g, np.full(x.size, w), n_bias=10, n_boot=0, seed=1)
    assert np.allclose(a.estimate, b.estimate, rtol=1e-7)


@SETTINGS
@given(samples, st.integers(0, 100))
def test_onset_is_not_far_outside_the_data(values, seed):
    x = np.asarray(values)
    res = grouped_percentiles(x, np.zeros(x.size, int), n_bias=30, n_boot=0, seed=seed)
    spread = x.max() - x.min()
    assert x.min() - 3 * spread - 1e-6 <= res.estimate[0, 0] <= x.max() + 1e-6 * max(x.max(), 1)


@SETTINGS
@given(st.lists(st.floats(min_value=0.0, max_value=100.0), min_size=1, max_size=50))
def test_effective_sample_size_bounds(weights):
    w = np.asarray(weights)
    n_eff = kish_n_eff(w)
    if w.sum() > 0:
        assert 1 - 1e-9 <= n_eff <= (w > 0).sum() + 1e-9
    else:
        assert n_eff == 0


@SETTINGS
@given(st.lists(st.integers(-400, 800), min_size=1, max_size=30))
def test_censoring_is_exactly_the_14_day_rule(offsets):
    import pandas as pd

    gaps = pd.DataFrame({"start": [pd.Timestamp("2020-05-01")], "end": [pd.Timestamp("2020-05-31")], "kind": ["gap"]})
    span = (pd.Timestamp("2019-01-01"), pd.Timestamp("2021-12-31"))
    dates = pd.Timestamp("2019-06-01") + pd.to_timedelta(offsets, unit="D")
    c, _ = censor_dates(dates, gaps, span)
    expect = ((dates < span[0] + pd.Timedelta(days=14)) | (dates > span[1] - pd.Timedelta(days=14))
              | ((dates >= pd.Timestamp("2020-04-17")) & (dates <= pd.Timestamp("2020-06-14"))))  # fmt: skip
    assert (c == np.asarray(expect)).all()


@SETTINGS
@given(st.lists(st.tuples(st.floats(-30, 30), st.floats(-30, 30)), min_size=3, max_size=25), st.integers(0, 99))
def test_skill_interval_contains_the_difference(errors, seed):
    import pandas as pd

    rows = [{"scientific_name": f"S{i % 3}", "common_name": "", "brood": 1, "target": 10, "year": 2000 + i,
             "n": 9, "observed_doy": 100.0, "observed_dd": 300.0, "dd_target": 300.0,
             "dd_predicted_doy": 100.0 + a, "calendar_predicted_doy": 100.0 + b, "dd_error_days": a,
             "calendar_error_days": b} for i, (a, b) in enumerate(errors)]  # fmt: skip
    s = skill_summary(pd.DataFrame(rows), n_boot=200, seed=seed)
    per = s[s["scientific_name"] != "(all species)"]
    assert ((per["difference_low"] <= per["difference_days"] + 1e-9)
            & (per["difference_days"] <= per["difference_high"] + 1e-9)).all()  # fmt: skip
    assert s["verdict"].str.len().gt(0).all()
