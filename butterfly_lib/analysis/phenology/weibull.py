"""The Weibull-parameterized percentile estimator (Cooke 1979; Pearse et al. 2017; Belitz et al. 2020), vectorized.

Look here for the estimator itself: ``fit_weibull`` (weighted maximum likelihood of a two-parameter Weibull,
many samples at once), ``weibull_quantile``, ``weib_percentile`` (one sample, as phenesse's function of that
name) and ``grouped_percentiles`` (many groups, with bias correction, effective sample size and bootstrap
confidence intervals; what the rest of ``phenology`` calls).

The estimator, as phenesse (CC0, the reference implementation of Belitz et al. 2020) computes it:

1. fit a two-parameter Weibull (shape ``k``, scale ``lam``) to the observations by maximum likelihood;
2. ``theta_hat`` = the fitted distribution's ``p`` quantile, ``lam * (-ln(1 - p)) ** (1 / k)``;
3. estimate the bias of that value by a *parametric* bootstrap: draw ``iterations`` samples of the same size
   from the fitted Weibull (phenesse inverts the fitted CDF on uniform draws, within its 1st-99th percentile
   range widened to the observed range), refit each, take its ``p`` quantile ``theta_i``;
4. return the bias-corrected ``2 * theta_hat - mean(theta_i)``.

What we do differently, and why:

- **Weights.** Observations carry weights (observer-effort correction, see ``effort``): the fit maximises the
  weighted log-likelihood, and the parametric bootstrap of step 3 draws samples of the Kish effective size
  ``n_eff = (sum w)**2 / sum w**2`` (the size an unweighted sample of the same precision would have), not ``n``.
  With equal weights both are phenesse's.
- **Tails of the bias draws.** phenesse maps uniform draws below the 1st (above the 99th) percentile onto a
  one-unit ramp beyond it; one unit means a day on its day-of-year scale and nothing on a degree-day scale, so
  we clip draws to the same range instead (``[min(q01, min x), max(q99, max x)]``).
- **Confidence intervals.** phenesse bootstraps the whole estimator (observations resampled, the bias
  bootstrap rerun inside every resample) and reports BCa intervals: ``iterations x bootstraps`` fits per
  estimate. We resample the observations (multinomial counts times the effort weights, so the interval
  reflects the weighted estimator's real variance), refit, and hold the bias fixed at its value for the full
  sample (the standard first-order approximation); the interval is the bias-corrected estimate plus the
  resamples' spread around their median (a percentile interval re-centred on the estimate, so it always
  contains it). BCa's jackknife acceleration would cost ``n`` more fits per estimate and is left out.
- **Order.** ``2 * theta_hat - mean(theta_i)`` is not guaranteed monotone in ``p`` for tiny samples; the
  estimates (and each bound) are sorted across the requested percentiles (the monotone rearrangement of
  Chernozhukov, Fernández-Val & Galichon 2009, which never increases the error), so p10 <= p50 <= p90 always.

What the estimator guarantees, and what it does not: the Weibull has no location parameter, so the estimate
is scale-equivariant (multiply every value by ``c`` and every estimate is multiplied by ``c``) but not
shift-equivariant (day-of-year values are fitted as they are; phenesse does the same). The 10th percentile is
*not* bounded by the earliest observation: it is usually after it and, for small samples, can be before it;
the Weibull's support is ``(0, inf)`` so values must be positive (``grouped_percentiles`` floors them at
``floor``). Samples whose values are all equal have no maximum-likelihood Weibull: every percentile is that
value and the interval has zero width.

Vectorization: samples are rows of padded ``(..., n)`` matrices with zero weight on padding; the shape
equation is solved by a safeguarded Newton iteration on every row at once; groups are processed in chunks of
similar size so padding stays small and memory bounded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from butterfly_lib.errors import InvalidInput

PERCENTILES = (0.1, 0.5, 0.9)
_SQRT6 = np.sqrt(6.0)


def kish_n_eff(weights: np.ndarray, axis: int = -1) -> np.ndarray:
    """Kish's effective sample size ``(sum w)**2 / sum w**2`` along ``axis`` (0 where every weight is 0)."""
    w = np.asarray(weights, dtype=float)
    top = np.max(np.abs(w), axis=axis, keepdims=True) if w.size else np.ones(1)
    w = w / np.where(top > 0, top, 1.0)  # scale-free, and tiny weights do not underflow when squared
    s1 = w.sum(axis=axis)
    s2 = (w * w).sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(s2 > 0, s1 * s1 / np.where(s2 > 0, s2, 1.0), 0.0)


def fit_weibull(
    x: np.ndarray, w: np.ndarray | None = None, *, max_iter: int = 100, tol: float = 1e-9,
    k_start: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Weighted maximum-likelihood Weibull fit along the last axis: returns ``(shape, scale)``.

    ``x`` positive values (``..., n``); ``w`` non-negative weights of the same shape (None: all 1); entries
    with zero weight are ignored, so padded rows are fine. Rows whose weighted values are all equal get shape
    ``inf`` and scale equal to that value; rows with no positive weight get NaN. ``k_start`` (shape ``...``)
    seeds the Newton iteration (e.g. the full sample's shape when fitting its bootstrap resamples).
    """
    x = np.asarray(x, dtype=float)
    w = np.ones_like(x) if w is None else np.asarray(w, dtype=float)
    if x.shape != w.shape:
        raise InvalidInput("w", w.shape, f"weights of the same shape as x {x.shape}")
    batch = x.shape[:-1]
    x = x.reshape(-1, x.shape[-1])
    w = w.reshape(x.shape)
    if k_start is not None:
        k_start = np.broadcast_to(np.asarray(k_start, dtype=float), batch).reshape(-1)
    use = (w > 0) & np.isfinite(x)
    if np.any(use & (x <= 0)):
        raise InvalidInput("x", float(x[use & (x <= 0)].min()), "positive values (the Weibull's support)")
    w = np.where(use, w, 0.0)
    s = np.where(use, x, 0.0).max(axis=-1)  # scale so every y = x / s is in (0, 1]: y**k never overflows
    safe_s = np.where(s > 0, s, 1.0)
    ly = np.where(use, np.log(np.where(use, x, 1.0) / safe_s[..., None]), 0.0)
    k, lam_y = _fit_logs(ly, w, k_start, tol=tol, max_iter=max_iter)
    return k.reshape(batch), (safe_s * lam_y).reshape(batch)


def _fit_logs(
    ly: np.ndarray, w: np.ndarray, k_start: np.ndarray | None, *, tol: float = 1e-9, max_iter: int = 100
) -> tuple[np.ndarray, np.ndarray]:
    """The Newton solve on ``ly = log(x / s)`` (<= 0 where used, any finite value where ``w == 0``), which may
    broadcast against ``w`` (one sample's logs against many resamples' weights): ``(shape, scale / s)``."""
    W = w.sum(axis=-1)
    safe_W = np.where(W > 0, W, 1.0)
    m = (w * ly).sum(axis=-1) / safe_W
    v = (w * (ly - m[..., None]) ** 2).sum(axis=-1) / safe_W
    degenerate = v <= 1e-14 * np.maximum(m * m, 1.0)
    # moment start from the log-scale spread: sd(ln X) = pi / (k sqrt 6)
    k = np.pi / (_SQRT6 * np.sqrt(np.where(degenerate, 1.0, v)))
    if k_start is not None:
        ks = np.broadcast_to(np.asarray(k_start, dtype=float), k.shape)
        k = np.where(np.isfinite(ks) & (ks > 0), ks, k)
    active = ~degenerate & (W > 0)
    for _ in range(max_iter):
        if not active.any():
            break
        e = w * np.exp(k[..., None] * ly)
        s0 = e.sum(axis=-1)
        e *= ly
        s1 = e.sum(axis=-1)
        e *= ly
        s2 = e.sum(axis=-1)
        with np.errstate(divide="ignore", invalid="ignore"):
            a = s1 / s0
            g = a - 1.0 / k - m
            gp = s2 / s0 - a * a + 1.0 / (k * k)
            # g is increasing in k: a Newton step limited to halving or doubling k always makes progress
            knew = np.clip(k - g / gp, 0.5 * k, 2.0 * k)
        knew = np.where(active, knew, k)
        active = active & (np.abs(knew - k) > tol * knew)
        k = knew
    e = w * np.exp(k[..., None] * ly)
    with np.errstate(divide="ignore", invalid="ignore"):
        lam_y = np.exp(np.log(e.sum(axis=-1) / safe_W) / k)
    k = np.where(degenerate, np.inf, k)
    lam_y = np.where(degenerate, np.exp(m), lam_y)
    bad = W <= 0
    return np.where(bad, np.nan, k), np.where(bad, np.nan, lam_y)

LOCATIONS = ("profile", "zero")
# candidate origins: the minimum minus these multiples of the range (geometric, near to far), plus zero
_ORIGIN_STEPS = np.geomspace(0.05, 20.0, 12)


def weibull_loglik(
    x: np.ndarray, w: np.ndarray, location: np.ndarray, shape: np.ndarray, scale: np.ndarray
) -> np.ndarray:
    """Weighted log-likelihood of a three-parameter Weibull along the last axis (zero-weight entries ignored)."""
    use = w > 0
    y = np.where(use, (x - location[..., None]) / scale[..., None], 1.0)
    k = shape[..., None]
    ll = np.log(k / scale[..., None]) + (k - 1.0) * np.log(y) - y**k
    return np.where(use, w * ll, 0.0).sum(axis=-1)


def profile_location(x: np.ndarray, w: np.ndarray, *, min_shape: float = 1.0) -> np.ndarray:
    """Origin of the Weibull for each row by profile likelihood over a grid of candidates.

    Candidates: zero (phenesse's origin, when every value is positive) and ``min - c * range`` for ``c`` from
    0.05 to 20 (12 steps, then 6 finer ones around the best); the one with the highest weighted log-likelihood among fits with shape >= ``min_shape`` wins
    (a shape below 1 is a density that is highest at the very first flyer, not a flight curve, and is where
    the three-parameter likelihood becomes unbounded). Falls back to zero (or ``min - range``) when no
    candidate qualifies.
    """
    use = w > 0
    xmin = np.where(use, x, np.inf).min(axis=-1)
    xmax = np.where(use, x, -np.inf).max(axis=-1)
    rng = np.where(np.isfinite(xmax - xmin), xmax - xmin, 0.0)
    # a spread too small to move the origin off the minimum in floating point counts as no spread
    spread = np.where(rng > 1e-6 * np.maximum(np.abs(xmin), 1.0), rng, np.maximum(np.abs(xmin), 1.0))
    fallback = np.where(xmin > 0, 0.0, xmin - spread)
    best_ll = np.full(xmin.shape, -np.inf)
    best = fallback.copy()
    best_c = np.full(xmin.shape, np.nan)

    def consider(g: np.ndarray, c: np.ndarray) -> None:
        nonlocal best_ll, best, best_c
        shifted = np.where(use, x - g[..., None], 1.0)
        k, lam = fit_weibull(shifted, w)
        finite = np.isfinite(k)
        ll = weibull_loglik(x, w, g, np.where(finite, k, 1.0), np.where(finite, lam, 1.0))
        ll = np.where(finite & (k >= min_shape), ll, -np.inf)
        better = ll > best_ll
        best_ll = np.where(better, ll, best_ll)
        best = np.where(better, g, best)
        best_c = np.where(better, c, best_c)

    consider(fallback, np.full(xmin.shape, np.nan))
    for c in _ORIGIN_STEPS:
        consider(xmin - c * spread, np.full(xmin.shape, c))
    # a finer look around the best step of the grid
    ratio = _ORIGIN_STEPS[1] / _ORIGIN_STEPS[0]
    for f in np.geomspace(ratio**-0.75, ratio**0.75, 6):
        c = np.where(np.isfinite(best_c), best_c * f, np.nan)
        if np.isfinite(c).any():
            g = np.where(np.isfinite(c), xmin - np.nan_to_num(c) * spread, fallback)
            consider(g, c)
    return np.where(np.isfinite(xmin), best, np.nan)


def weibull_quantile(shape: np.ndarray, scale: np.ndarray, p) -> np.ndarray:  # noqa: ANN001 (float or array)
    """Quantile ``p`` of Weibull(shape, scale); broadcasts (``shape[..., None]`` against ``p`` for many)."""
    c = -np.log1p(-np.asarray(p, dtype=float))
    return np.asarray(scale) * c ** (1.0 / np.asarray(shape))


def _check_percentiles(percentiles) -> np.ndarray:  # noqa: ANN001
    p = np.asarray(percentiles, dtype=float).ravel()
    if p.size == 0 or np.any(~((p > 0) & (p < 1))):
        raise InvalidInput("percentiles", list(np.atleast_1d(percentiles)), "fractions strictly between 0 and 1")
    return p


@dataclass(frozen=True)
class PercentileEstimates:
    """Output of ``grouped_percentiles`` (``G`` groups, ``P`` percentiles). Rows with too few values are NaN.

    ``estimate``/``ci_low``/``ci_high``/``uncorrected``/``bias``: ``(G, P)``; ``shape``, ``scale``, ``n``
    (values with positive weight), ``origin`` (the fitted location: 0 with ``location="zero"``), ``n_eff``
    (Kish): ``(G,)``; ``percentiles``: ``(P,)``.
    """

    percentiles: np.ndarray
    estimate: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    uncorrected: np.ndarray
    bias: np.ndarray
    shape: np.ndarray
    scale: np.ndarray
    origin: np.ndarray
    n: np.ndarray
    n_eff: np.ndarray


def _pad(values: np.ndarray, weights: np.ndarray, groups: np.ndarray, order: np.ndarray, n_groups: int):
    """Per-group padded (G, N) matrices from flat arrays, groups already coded 0..G-1."""
    counts = np.bincount(groups, minlength=n_groups)
    nmax = int(counts.max()) if counts.size else 0
    pos = np.arange(len(groups)) - np.repeat(np.cumsum(counts) - counts, counts)
    x = np.ones((n_groups, max(nmax, 1)))
    w = np.zeros((n_groups, max(nmax, 1)))
    x[groups[order], pos] = values[order]
    w[groups[order], pos] = weights[order]
    return x, w, counts


def _batches(total: int, per_item: int, chunk_elements: int) -> list[int]:
    """Split ``total`` resamples into batches of at most ``chunk_elements / per_item`` (at least 1)."""
    size = max(1, chunk_elements // max(per_item, 1))
    return [min(size, total - s) for s in range(0, total, size)]


def _bias_draws(
    k: np.ndarray, lam: np.ndarray, lo: np.ndarray, hi: np.ndarray, m: np.ndarray, M: int, nb: int,
    p: np.ndarray, rng: np.random.Generator,
) -> np.ndarray:  # fmt: skip
    """Step 3: ``nb`` samples of size ``m`` per group from the fitted Weibull, refitted: (G, nb, P)."""
    G = k.shape[0]
    u = rng.random((G, nb, M))
    draws = lam[:, None, None] * (-np.log1p(-u)) ** (1.0 / k[:, None, None])
    draws = np.clip(draws, lo[:, None, None], hi[:, None, None])
    dw = np.broadcast_to((np.arange(M)[None, None, :] < m[:, None, None]).astype(float), draws.shape)
    kb, lb = fit_weibull(draws, dw, k_start=np.broadcast_to(k[:, None], (G, nb)))
    return weibull_quantile(kb[..., None], lb[..., None], p)


def _resample_fits(
    x: np.ndarray, w: np.ndarray, n: np.ndarray, k: np.ndarray, nb: int, p: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:  # fmt: skip
    """``nb`` nonparametric resamples per group (rows drawn uniformly, effort weights kept), refitted and
    rearranged across percentiles: (G, nb, P)."""
    G, N = x.shape
    u = rng.random((G, nb, N))
    pick = np.minimum((u * n[:, None, None]).astype(np.int64), np.maximum(n[:, None, None] - 1, 0))
    pick = np.where(np.arange(N)[None, None, :] < n[:, None, None], pick, N)  # padding counts in a spare bin
    flat = (np.arange(G * nb)[:, None] * (N + 1) + pick.reshape(G * nb, N)).ravel()
    counts = np.bincount(flat, minlength=G * nb * (N + 1)).reshape(G, nb, N + 1)[..., :N]
    bw = counts * w[:, None, :]
    # one sample's logs serve all its resamples (only the weights change)
    use = w > 0
    s = np.where(use, x, 0.0).max(axis=1)
    ly = np.where(use, np.log(np.where(use, x, 1.0) / s[:, None]), 0.0)[:, None, :]
    kb, lb = _fit_logs(ly, bw, np.broadcast_to(k[:, None], (G, nb)))
    return np.sort(weibull_quantile(kb[..., None], (s[:, None] * lb)[..., None], p), axis=-1)


def _chunk_estimates(
    x: np.ndarray, w: np.ndarray, n: np.ndarray, p: np.ndarray, rng: np.random.Generator,
    n_bias: int, n_boot: int, conf: float, chunk_elements: int, location: str,
) -> tuple[np.ndarray, ...]:  # fmt: skip
    G, N = x.shape
    origin = profile_location(x, w) if location == "profile" else np.zeros(G)
    x = np.where(w > 0, x - origin[:, None], 1.0)
    k, lam = fit_weibull(x, w)
    raw = weibull_quantile(k[:, None], lam[:, None], p[None, :])
    n_eff = kish_n_eff(w)
    # 3. parametric bootstrap of the bias, samples of the effective size
    m = np.clip(np.rint(n_eff), 2, np.maximum(n, 2)).astype(int)
    M = int(m.max())
    lo_obs = np.where(w > 0, x, np.inf).min(axis=1)
    hi_obs = np.where(w > 0, x, -np.inf).max(axis=1)
    q01 = weibull_quantile(k, lam, 0.01)
    q99 = weibull_quantile(k, lam, 0.99)
    lo = np.minimum(q01, lo_obs)
    hi = np.maximum(q99, hi_obs)
    bias = np.zeros_like(raw)
    if n_bias > 0:
        theta_i = np.concatenate(
            [
                _bias_draws(k, lam, lo, hi, m, M, nb, p, rng)
                for nb in _batches(n_bias, G * M, chunk_elements)
            ],
            axis=1,
        )
        bias = np.nanmean(theta_i, axis=1) - raw
    est = np.sort(raw - bias, axis=1)
    if n_boot > 0:
        theta_b = np.concatenate(
            [_resample_fits(x, w, n, k, nb, p, rng) for nb in _batches(n_boot, G * N, chunk_elements)], axis=1
        )
        alpha = (1.0 - conf) / 2.0
        qs = np.nanquantile(theta_b, [alpha, 0.5, 1.0 - alpha], axis=1)
        ci_lo = np.sort(est + (qs[0] - qs[1]), axis=1)
        ci_hi = np.sort(est + (qs[2] - qs[1]), axis=1)
    else:
        ci_lo = ci_hi = np.full_like(est, np.nan)
    o = origin[:, None]
    return est + o, ci_lo + o, ci_hi + o, raw + o, bias, k, lam, origin, n_eff


def grouped_percentiles(
    values: np.ndarray,
    groups: np.ndarray,
    weights: np.ndarray | None = None,
    *,
    percentiles=PERCENTILES,  # noqa: ANN001 (sequence of fractions)
    n_bias: int = 250,
    n_boot: int = 500,
    conf: float = 0.95,
    min_n: int = 3,
    floor: float = 0.5,
    location: str = "profile",
    seed: int | np.random.Generator = 0,
    chunk_elements: int = 3_000_000,
) -> PercentileEstimates:
    """Weibull-parameterized percentiles of many groups at once, with bias correction and bootstrap CIs.

    ``values`` flat observations, ``groups`` integer codes ``0..G-1`` of the same length, ``weights`` effort
    weights (None: all 1; zero or NaN drops the row). ``n_bias`` parametric draws estimate the bias (phenesse's
    ``iterations``, default 250: its vignette's advice), ``n_boot`` resamples give the ``conf`` interval.
    ``location="profile"`` (default) fits the Weibull's origin by profile likelihood (``profile_location``);
    ``"zero"`` is phenesse's two-parameter fit on the values as they are, where values below ``floor`` (e.g.
    zero degree days) are raised to it since that Weibull needs positive values.
    Groups with fewer than ``min_n`` weighted values get NaN. Same inputs and ``seed``, same numbers.
    """
    p = _check_percentiles(percentiles)
    v = np.asarray(values, dtype=float).ravel()
    g = np.asarray(groups).ravel()
    if v.shape != g.shape:
        raise InvalidInput("groups", g.shape, f"one group code per value ({v.shape[0]})")
    if g.size and (not np.issubdtype(g.dtype, np.integer) or g.min() < 0):
        raise InvalidInput("groups", g.dtype.name, "non-negative integer codes")
    wt = np.ones_like(v) if weights is None else np.asarray(weights, dtype=float).ravel()
    if wt.shape != v.shape:
        raise InvalidInput("weights", wt.shape, f"one weight per value ({v.shape[0]})")
    if np.any(wt < 0):
        raise InvalidInput("weights", float(np.nanmin(wt)), "non-negative weights")
    if location not in LOCATIONS:
        raise InvalidInput("location", location, " or ".join(LOCATIONS))
    if not 0 < conf < 1:
        raise InvalidInput("conf", conf, "a confidence level strictly between 0 and 1")
    if int(n_boot) < 0 or int(n_bias) < 0:
        raise InvalidInput("n_boot/n_bias", (n_boot, n_bias), "whole numbers >= 0")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    G = int(g.max()) + 1 if g.size else 0
    keep = np.isfinite(v) & np.isfinite(wt) & (wt > 0)
    v, g, wt = v[keep], g[keep], wt[keep]
    if location == "zero":
        v = np.maximum(v, floor)
    order = np.argsort(g, kind="stable")
    P = p.size
    out = {name: np.full((G, P), np.nan) for name in ("estimate", "ci_low", "ci_high", "uncorrected", "bias")}
    shape, scale, origin, n_eff = np.full(G, np.nan), np.full(G, np.nan), np.full(G, np.nan), np.zeros(G)
    n = np.bincount(g, minlength=G).astype(int)
    ok = np.flatnonzero(n >= max(int(min_n), 2))
    if ok.size:
        x_all, w_all, _ = _pad(v, wt, g, order, G)
        # chunks of groups of similar size keep padding small and memory bounded
        by_size = ok[np.argsort(n[ok], kind="stable")]
        per = max(int(n_bias), int(n_boot), 1)
        start = 0
        while start < by_size.size:
            stop = start + 1
            while stop < by_size.size and (stop - start + 1) * per * n[by_size[stop]] <= chunk_elements:
                stop += 1
            idx = by_size[start:stop]
            width = int(n[idx].max())
            est, lo, hi, raw, bias, k, lam, org, ne = _chunk_estimates(
                x_all[idx, :width], w_all[idx, :width], n[idx], p, rng, int(n_bias), int(n_boot), conf,
                chunk_elements, location,
            )
            origin[idx] = org
            out["estimate"][idx], out["ci_low"][idx], out["ci_high"][idx] = est, lo, hi
            out["uncorrected"][idx], out["bias"][idx] = raw, bias
            shape[idx], scale[idx], n_eff[idx] = k, lam, ne
            start = stop
    return PercentileEstimates(p, out["estimate"], out["ci_low"], out["ci_high"], out["uncorrected"], out["bias"],
                               shape, scale, origin, n, n_eff)  # fmt: skip


def weib_percentile(
    observations, percentile: float, *, iterations: int = 500, weights=None, seed: int = 0,  # noqa: ANN001
    location: str = "zero",
) -> float:
    """One Weibull-parameterized percentile of one sample: phenesse's ``weib_percentile`` with the default
    ``location="zero"``; with ``weights`` the effort-weighted version, with ``location="profile"`` the
    located version (module docstring). NaN for fewer than 3 values."""
    obs = np.asarray(observations, dtype=float).ravel()
    res = grouped_percentiles(
        obs, np.zeros(obs.size, dtype=int), weights, percentiles=(percentile,), n_bias=iterations, n_boot=0,
        seed=seed, location=location,
    )  # fmt: skip
    return float(res.estimate[0, 0]) if res.estimate.size else float("nan")
