"""The Weibull-parameterized percentile estimator against answers derived independently of it."""

from __future__ import annotations

import numpy as np
import pytest

from butterfly_lib.analysis.phenology.weibull import (
    fit_weibull,
    grouped_percentiles,
    kish_n_eff,
    profile_location,
    weib_percentile,
    weibull_quantile,
)
from butterfly_lib.errors import InvalidInput

P = np.array([0.1, 0.5, 0.9])
Z = np.array([-1.2815515655446004, 0.0, 1.2815515655446004])


def _brute_force_mle(x: np.ndarray, w: np.ndarray, ks: np.ndarray | None = None) -> tuple[float, float]:
    """Maximise the weighted log-likelihood on a fine shape grid (the scale is profiled out exactly)."""
    ks = np.linspace(0.5, 30, 200_001) if ks is None else ks
    lx = np.log(x)
    W = w.sum()
    # profile: lam(k)^k = sum w x^k / W ; loglik(k) = W ln k - W ln(lam^k) + (k - 1) sum w ln x - W
    xs = np.exp(lx - lx.max())
    best = None
    for chunk in np.array_split(ks, 50):
        s = (w[None, :] * xs[None, :] ** chunk[:, None]).sum(axis=1)
        ll = W * np.log(chunk) - W * (np.log(s / W) + chunk * lx.max()) + (chunk - 1) * (w * lx).sum()
        i = int(np.argmax(ll))
        if best is None or ll[i] > best[0]:
            best = (ll[i], chunk[i], s[i])
    k = best[1]
    lam = np.exp(lx.max()) * (best[2] / W) ** (1 / k)
    return k, lam


def test_fit_recovers_the_parameters_of_a_large_weibull_sample():
    x = np.random.default_rng(1).weibull(2.5, 200_000) * 300.0
    k, lam = fit_weibull(x)
    assert k == pytest.approx(2.5, rel=0.01)
    assert lam == pytest.approx(300.0, rel=0.01)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fit_matches_a_brute_force_likelihood_maximum(seed):
    rng = np.random.default_rng(seed)
    x = rng.weibull(4.0, 40) * 120 + rng.uniform(0, 5, 40)
    w = rng.uniform(0.1, 2.0, 40)
    k, lam = fit_weibull(x, w)
    kb, lb = _brute_force_mle(x, w)
    assert k == pytest.approx(kb, abs=3e-4)
    assert lam == pytest.approx(lb, rel=1e-5)


def test_integer_weights_equal_repeated_observations_and_padding_is_ignored():
    rng = np.random.default_rng(3)
    x = rng.weibull(4, 50) * 100
    w = rng.integers(1, 4, 50).astype(float)
    k1, l1 = fit_weibull(x, w)
    k2, l2 = fit_weibull(np.repeat(x, w.astype(int)))
    assert k1 == pytest.approx(k2, rel=1e-9) and l1 == pytest.approx(l2, rel=1e-9)
    padded_x = np.r_[x, [7.0, 1e6]]
    padded_w = np.r_[w, [0.0, 0.0]]
    k3, l3 = fit_weibull(padded_x, padded_w)
    assert k3 == pytest.approx(k1, rel=1e-12) and l3 == pytest.approx(l1, rel=1e-12)


def test_large_weibull_sample_gives_the_true_percentiles_both_ways():
    x = np.random.default_rng(4).weibull(3.0, 20_000) * 200.0
    true = weibull_quantile(3.0, 200.0, P)
    for location in ("zero", "profile"):
        res = grouped_percentiles(x, np.zeros(x.size, int), percentiles=P, n_bias=50, n_boot=50, location=location)
        assert np.allclose(res.estimate[0], true, rtol=0.01), location
        assert (res.ci_low[0] <= true + 1).all() and (true - 1 <= res.ci_high[0]).all()


def test_two_parameter_fit_of_normal_data_has_the_misspecification_limit_we_derive():
    """phenesse's estimator fits no location: for N(150, 10) (a flight on day 150 +- 10) its limit is the
    Weibull closest to the normal (maximum expected log-likelihood), derived here by quadrature: p10 is 3.2
    days early. The located estimator finds the normal's own percentiles (and the sample quantiles' limit)."""
    grid = np.linspace(100, 200, 2_001)
    dens = np.exp(-0.5 * ((grid - 150) / 10) ** 2)
    k_lim, lam_lim = _brute_force_mle(grid, dens, np.linspace(10, 25, 30_001))
    limit = weibull_quantile(k_lim, lam_lim, P)
    assert limit[0] == pytest.approx(134.0, abs=0.2)  # 3.2 days before the true 137.2
    x = np.random.default_rng(5).normal(150, 10, 100_000)
    two = grouped_percentiles(x, np.zeros(x.size, int), n_bias=20, n_boot=0, location="zero")
    assert np.allclose(two.estimate[0], limit, atol=0.3)
    located = grouped_percentiles(x, np.zeros(x.size, int), n_bias=20, n_boot=0, location="profile")
    assert np.allclose(located.estimate[0], 150 + 10 * Z, atol=1.2)
    assert np.allclose(located.estimate[0], np.quantile(x, P), atol=1.2)


def test_phenesse_own_check_median_of_ten_normal_days():
    x = np.random.default_rng(6).normal(150, 10, 10)
    assert weib_percentile(x, 0.5, iterations=20) == pytest.approx(x.mean(), abs=7)


def test_bias_correction_reduces_the_small_sample_bias_of_the_onset():
    rng = np.random.default_rng(7)
    vals = rng.weibull(3, (400, 10)) * 200
    res = grouped_percentiles(vals.ravel(), np.repeat(np.arange(400), 10), n_bias=250, n_boot=0, location="zero")
    true = weibull_quantile(3.0, 200.0, 0.1)
    raw_bias = res.uncorrected[:, 0].mean() - true
    corrected_bias = res.estimate[:, 0].mean() - true
    assert abs(corrected_bias) < 0.5 * abs(raw_bias)


def test_located_fit_handles_a_late_right_skewed_flight_where_the_two_parameter_fit_fails():
    rng = np.random.default_rng(8)
    y = rng.gamma(3, 200, (200, 40)) + 1500  # a flight starting at 1500 DD, long right tail
    true = 1500 + np.quantile(rng.gamma(3, 200, 2_000_000), P)
    codes = np.repeat(np.arange(200), 40)
    two = grouped_percentiles(y.ravel(), codes, n_bias=100, n_boot=0, location="zero")
    loc = grouped_percentiles(y.ravel(), codes, n_bias=100, n_boot=0, location="profile")
    assert abs(two.estimate[:, 0].mean() - true[0]) > 150
    assert abs(loc.estimate[:, 0].mean() - true[0]) < 30


def test_grouped_equals_one_group_at_a_time_without_resampling():
    rng = np.random.default_rng(9)
    sizes = [3, 12, 40, 7]
    vals = [rng.weibull(3, n) * 100 + 50 for n in sizes]
    wts = [rng.uniform(0.5, 2, n) for n in sizes]
    res = grouped_percentiles(np.concatenate(vals), np.repeat(np.arange(4), sizes), np.concatenate(wts),
                              n_bias=0, n_boot=0)  # fmt: skip
    for i in range(4):
        one = grouped_percentiles(vals[i], np.zeros(sizes[i], int), wts[i], n_bias=0, n_boot=0)
        assert np.allclose(res.estimate[i], one.estimate[0], rtol=1e-10)
        assert res.n_eff[i] == pytest.approx(kish_n_eff(wts[i]))


def test_same_seed_same_numbers_and_too_few_values_are_nan():
    x = np.random.default_rng(10).normal(300, 40, 30)
    g = np.r_[np.zeros(28, int), [1, 1]]
    a = grouped_percentiles(x, g, n_boot=100, seed=3)
    b = grouped_percentiles(x, g, n_boot=100, seed=3)
    assert np.array_equal(a.ci_low, b.ci_low, equal_nan=True)
    assert np.isnan(a.estimate[1]).all() and a.n[1] == 2


def test_all_equal_values_give_that_value_with_zero_width():
    res = grouped_percentiles(np.full(8, 120.0), np.zeros(8, int), n_boot=50)
    assert np.allclose(res.estimate, 120.0) and np.allclose(res.ci_low, 120.0) and np.allclose(res.ci_high, 120.0)


def test_profile_location_is_below_the_data_and_zero_for_a_weibull_from_zero():
    x = np.random.default_rng(11).weibull(2.0, 5000) * 400
    g = profile_location(x[None, :], np.ones((1, x.size)))
    assert g[0] < x.min()
    assert g[0] == pytest.approx(0.0, abs=0.05 * 400)


@pytest.mark.parametrize(
    "kwargs",
    [{"percentiles": (0.0, 0.5)}, {"percentiles": (1.0,)}, {"conf": 1.0}, {"location": "left"}, {"n_boot": -1}],
)
def test_bad_arguments_are_refused(kwargs):
    with pytest.raises(InvalidInput):
        grouped_percentiles(np.arange(1.0, 11.0), np.zeros(10, int), **kwargs)


def test_bad_inputs_are_refused():
    with pytest.raises(InvalidInput):
        fit_weibull(np.array([1.0, -2.0, 3.0]))
    with pytest.raises(InvalidInput):
        grouped_percentiles(np.arange(1.0, 5.0), np.zeros(3, int))
    with pytest.raises(InvalidInput):
        grouped_percentiles(np.arange(1.0, 5.0), np.zeros(4, int), weights=np.array([1, 1, -1, 1.0]))
