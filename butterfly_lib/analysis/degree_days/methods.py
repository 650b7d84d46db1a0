"""Daily degree-day formulas: the Zalom et al. (1983) sine and triangle methods with their three cutoffs,
and the McMaster & Wilhelm (1997) averaging methods. Look here to compute one value per day from daily
minimum and maximum temperatures, vectorized over numpy arrays, pandas Series and xarray DataArrays.

How the sine and triangle methods are computed
----------------------------------------------
Each method models the day's temperature ``T(t)`` as a curve through the daily minimum and maximum (a sine,
or a triangle) and integrates a *rate function* of temperature over the day. Writing ``A(x)`` for the mean over
the day of ``max(T - x, 0)`` and ``F(x)`` for the fraction of the day with ``T > x``:

- horizontal cutoff (development continues at the upper-threshold rate): ``A(lower) - A(upper)``;
- vertical cutoff (no development while ``T > upper``): ``A(lower) - A(upper) - (upper - lower) * F(upper)``;
- intermediate cutoff (development slows above the upper threshold), the UC IPM calculator's rule: the
  horizontal-cutoff value minus the whole area of the day's curve above the upper threshold, ``A(upper)``,
  with that subtraction never larger than the vertical cutoff's, ``(upper - lower) * F(upper)``:
  ``A(lower) - A(upper) - min(A(upper), (upper - lower) F(upper))``, i.e. ``max(horizontal - A(upper),
  vertical)``. For the double methods the two halves are summed first and the cap applies to the whole day.
  Nothing is floored at ``2 upper - lower`` (an earlier version of this module floored the instantaneous
  rate there, which UC IPM does not do). So the intermediate value falls by one degree-day for each
  degree-day above ``upper`` until it meets the vertical value, and a very hot day scores exactly the vertical
  cutoff, never below it: ``horizontal >= intermediate >= vertical`` always holds. The cap is UC IPM's, not
  an addition of ours: on the reference days 2020-07-11 (59/103 °F) and 2020-08-15 (68/107 °F) at 50/70 °F
  its sine-intermediate answers equal its vertical ones (4.27, 2.72), where the plain subtraction would give
  4.20 and 2.11; the calculator's routines, as ported in the degree-day challenge's HeatUnits.py, say "IC
  must be <= VC". With triangles the cap only binds above ``tmax = upper + 2 (upper - lower)``.

References: Zalom, Goodell, Wilson, Barnett & Bentley (1983), *Degree-days: the calculation and use of heat
units in pest management*, UC DANR Leaflet 21373; UC IPM, "Degree-days: methods"
(ipm.ucanr.edu/WEATHER/ddfigindex.html) and its glossary (ipm.ucdavis.edu/WEATHER/ddmoreinfo.html: "an
intermediate cutoff assumes that development slows as temperatures increase above the upper threshold").
Neither page gives the intermediate formula in words, so the rule above is pinned by UC IPM's own answers:
the twelve method/cutoff combinations for Esparto-A 2020 at 50/70 °F in
``tests/fixtures/degree-days/ucipm_low50_high70_all.csv`` are matched day by day within 0.0051 degree-days
(UC IPM prints two decimals) and month by month within 0.05 by ``tests/test_degree_days_methods.py``.

For a sine with mean ``M`` and amplitude ``a``, ``A(x) = ((M - x)(pi/2 - theta) + a cos(theta)) / pi`` with
``theta = asin((x - M)/a)`` clipped to ``[-pi/2, pi/2]``; that single expression covers the six cases of
Zalom's Table 5 (``cos(asin(z))`` is computed as ``sqrt(1 - z**2)``). For a triangle the temperature is
uniformly distributed between min and max over the day, so ``A(x) = (tmax - x)**2 / (2 (tmax - tmin))`` inside
the range (Zalom's Table 3). The UC IPM calculator's tables are these same integrals.

The double methods fit one half-cycle from ``tmin`` to ``tmax`` (morning) and one from ``tmax`` to the next
day's minimum (afternoon); each half-cycle contributes half of the single-method value computed with its own
minimum (Zalom's Tables 4 and 6). When the next day's minimum is above today's maximum the afternoon half runs
upward instead; its value is the same as for the half-cycle between the two temperatures.

Averaging methods
-----------------
- ``simple-average`` (McMaster & Wilhelm method 1): the day is taken to sit at its mean temperature
  ``(tmax + tmin) / 2``; with the horizontal cutoff that is ``min(mean, upper) - lower``, floored at 0. The
  vertical cutoff gives 0 when the mean exceeds ``upper``; the intermediate one ``max(2 upper - mean - lower, 0)``.
- ``simple-average-2`` (McMaster & Wilhelm method 2): ``tmax`` and ``tmin`` are each clamped into
  ``[lower, upper]`` before averaging, so the result lies in ``[0, upper - lower]``. The clamp *is* a horizontal
  cutoff, so this method takes only ``cutoff="horizontal"``.
- ``modified-average`` is an alias of ``simple-average-2``: "cap tmax at upper, raise tmin to lower" (the common
  50/86 °F growing-degree-day rule) differs from the clamp only when tmax < lower (the literal rule then goes
  negative; floored at 0 it equals the clamp) or tmin > upper (where the horizontal cutoff caps tmin too).

Units: thresholds are in the units of the temperatures; every method is linear in a change of scale, so a
°F result is 1.8 times the °C result for the converted inputs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from butterfly_lib.errors import InvalidInput
from butterfly_lib.settings import DD_CUTOFFS as CUTOFFS
from butterfly_lib.settings import DD_METHODS as METHODS

ALIASES = {"modified-average": "simple-average-2"}
DOUBLE_METHODS = ("double-sine", "double-triangle")

# Elements per block on the hot path: small enough to keep the temporaries in cache.
_BLOCK = 1 << 16


def validate(method: str, cutoff: str, lower: float, upper: float) -> str:
    """Check the parameters and return the canonical method name (aliases resolved)."""
    if method not in METHODS:
        raise InvalidInput("method", method, ", ".join(METHODS))
    if cutoff not in CUTOFFS:
        raise InvalidInput("cutoff", cutoff, ", ".join(CUTOFFS))
    try:
        lo, hi = float(lower), float(upper)
    except (TypeError, ValueError):
        raise InvalidInput("lower/upper", (lower, upper), "numbers") from None
    if not (np.isfinite(lo) and np.isfinite(hi)) or lo >= hi:
        raise InvalidInput("lower", lower, f"a finite number below upper ({upper})")
    canonical = ALIASES.get(method, method)
    if canonical == "simple-average-2" and cutoff != "horizontal":
        raise InvalidInput(
            "cutoff", cutoff, f"horizontal (the only cutoff defined for {method}: its clamp is the cutoff)"
        )
    return canonical


def _sine_parts(tmin: np.ndarray, tmax: np.ndarray, x: float) -> tuple[np.ndarray, np.ndarray]:
    """``A(x)`` and ``F(x)`` for a sine between tmin and tmax (see the module docstring)."""
    mean = (tmax + tmin) * 0.5
    amp = (tmax - tmin) * 0.5
    # (x - mean) / amp without rounding the mean first: for a day of a few ulps' range the rounded mean can land
    # on x and put half the day above a threshold the whole day is at or above
    with np.errstate(over="ignore"):  # amp == 0: z is +-inf, clipped to +-1 below
        z = (2 * x - tmin - tmax) / np.maximum(tmax - tmin, np.finfo(amp.dtype).tiny)
    np.clip(z, -1.0, 1.0, out=z)
    theta = np.arcsin(z)
    above = ((mean - x) * (np.pi / 2 - theta) + amp * np.sqrt(1.0 - z * z)) / np.pi
    frac = np.where(amp > 0, 0.5 - theta / np.pi, mean > x)
    return above, frac


def _sine_horizontal(tmin: np.ndarray, tmax: np.ndarray, lower: float, upper: float) -> np.ndarray:
    """Hot path of ``A(lower) - A(upper)`` for the sine, in place on block-sized temporaries."""
    dt = tmin.dtype.type
    mean = tmax + tmin
    mean *= dt(0.5)
    amp = tmax - tmin
    amp *= dt(0.5)
    inv = np.maximum(amp, np.finfo(amp.dtype).tiny)
    np.reciprocal(inv, out=inv)
    out = np.zeros_like(mean)
    for x, sign in ((lower, 1.0), (upper, -1.0)):
        z = dt(x) - mean
        with np.errstate(over="ignore"):  # amp == 0: z is +-inf, clipped to +-1 below
            z *= inv
        np.clip(z, -1.0, 1.0, out=z)
        root = z * z
        np.subtract(dt(1.0), root, out=root)
        np.sqrt(root, out=root)
        root *= amp
        theta = np.arcsin(z)
        np.subtract(dt(np.pi / 2), theta, out=theta)
        d = mean - dt(x)
        d *= theta
        d += root
        if sign > 0:
            out += d
        else:
            out -= d
    out *= dt(1.0 / np.pi)
    np.maximum(out, 0, out=out)
    return out


def _triangle_parts(tmin: np.ndarray, tmax: np.ndarray, x: float) -> tuple[np.ndarray, np.ndarray]:
    """``A(x)`` and ``F(x)`` for a triangle: temperature uniform on [tmin, tmax] over the day."""
    span = tmax - tmin
    safe = np.maximum(span, np.finfo(span.dtype).tiny)
    xc = np.clip(x, tmin, tmax)
    above = (tmax - xc) ** 2 / (2 * safe) + np.maximum(tmin - x, 0)
    frac = np.where(tmin > x, 1.0, (tmax - xc) / safe)
    return above, frac


def _combine(parts, tmin, tmax, lower: float, upper: float, cutoff: str) -> np.ndarray:
    a_lo, _ = parts(tmin, tmax, lower)
    a_hi, f_hi = parts(tmin, tmax, upper)
    if cutoff == "horizontal":
        dd = a_lo - a_hi
    elif cutoff == "vertical":
        dd = a_lo - a_hi - (upper - lower) * f_hi
    else:  # intermediate: UC IPM caps the subtraction at the vertical cutoff's (see the module docstring)
        dd = a_lo - a_hi - np.minimum(a_hi, (upper - lower) * f_hi)
    return np.maximum(dd, 0)


def _flat_parts(tmin: np.ndarray, tmax: np.ndarray, x: float) -> tuple[np.ndarray, np.ndarray]:
    """``A`` and ``F`` for a day held at its mean temperature (McMaster & Wilhelm method 1)."""
    mean = (tmax + tmin) * 0.5
    return np.maximum(mean - x, 0), (mean > x).astype(mean.dtype)


def _single(method: str, tmin, tmax, lower: float, upper: float, cutoff: str) -> np.ndarray:
    dd = _single_raw(method, tmin, tmax, lower, upper, cutoff)
    # Exactly zero when the day never passes the lower threshold (asin(1) rounding leaves ~1e-23).
    dd[tmax <= lower] = 0
    return dd


def _single_raw(method: str, tmin, tmax, lower: float, upper: float, cutoff: str) -> np.ndarray:
    if method.endswith("sine"):
        if cutoff == "horizontal":
            return _sine_horizontal(tmin, tmax, lower, upper)
        return _combine(_sine_parts, tmin, tmax, lower, upper, cutoff)
    if method.endswith("triangle"):
        return _combine(_triangle_parts, tmin, tmax, lower, upper, cutoff)
    if method == "simple-average":
        return _combine(_flat_parts, tmin, tmax, lower, upper, cutoff)
    # simple-average-2 / modified-average
    lo, hi = tmin.dtype.type(lower), tmin.dtype.type(upper)
    return (np.clip(tmax, lo, hi) + np.clip(tmin, lo, hi)) * 0.5 - lo


def _compute_flat(method, tmin, tmax, tnext, lower, upper, cutoff) -> np.ndarray:
    """Blockwise over 1-d arrays, so temporaries stay small."""
    out = np.empty_like(tmin)
    for start in range(0, tmin.size, _BLOCK):
        sl = slice(start, start + _BLOCK)
        lo_, hi_ = tmin[sl], tmax[sl]
        if method in DOUBLE_METHODS and cutoff == "intermediate":
            # UC IPM caps the subtraction on the whole day's sums, not on each half-cycle
            nx = tnext[sl]
            halves = ((lo_, hi_), (np.minimum(nx, hi_), np.maximum(nx, hi_)))
            parts = _sine_parts if method.endswith("sine") else _triangle_parts
            horiz = sum(_single(method, a, b, lower, upper, "horizontal") for a, b in halves) * 0.5
            vert = sum(_single(method, a, b, lower, upper, "vertical") for a, b in halves) * 0.5
            above = sum(parts(a, b, upper)[0] for a, b in halves) * 0.5
            out[sl] = np.maximum(horiz - above, vert)
        elif method in DOUBLE_METHODS:
            nx = tnext[sl]
            am = _single(method, lo_, hi_, lower, upper, cutoff)
            pm = _single(method, np.minimum(nx, hi_), np.maximum(nx, hi_), lower, upper, cutoff)
            out[sl] = (am + pm) * 0.5
        else:
            out[sl] = _single(method, lo_, hi_, lower, upper, cutoff)
    return out


def _clamped_average(tmin: np.ndarray, tmax: np.ndarray, lower: float, upper: float) -> np.ndarray | None:
    """``simple-average-2`` over 1-d arrays, block by block and in place, so each block is read once while in
    cache (the site's default rule: issue 17 keeps it within 1.5x of the same rule written in plain numpy); a
    missing value stays NaN through the clamps. None when some ``tmin > tmax`` (the caller reports it)."""
    out = np.empty_like(tmin)
    tmp = np.empty(min(_BLOCK, tmin.size), dtype=tmin.dtype)
    lo, hi, half = tmin.dtype.type(lower), tmin.dtype.type(upper), tmin.dtype.type(0.5)
    for start in range(0, tmin.size, _BLOCK):
        a, b = tmin[start : start + _BLOCK], tmax[start : start + _BLOCK]
        if (a > b).any():
            return None
        o, t = out[start : start + _BLOCK], tmp[: a.size]
        np.clip(b, lo, hi, out=o)
        np.clip(a, lo, hi, out=t)
        o += t
        o *= half
        o -= lo
    return out


def _as_float(a: np.ndarray, dtype) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=dtype).reshape(-1)


def _default_next(tmin: np.ndarray) -> np.ndarray:
    """Next day's minimum along the last axis; where unknown (last day, missing) the day's own minimum."""
    nxt = np.empty_like(tmin)
    nxt[..., :-1] = tmin[..., 1:]
    nxt[..., -1] = tmin[..., -1]
    return np.where(np.isnan(nxt), tmin, nxt)


def degree_days_array(
    tmin: np.ndarray,
    tmax: np.ndarray,
    *,
    lower: float,
    upper: float,
    method: str,
    cutoff: str,
    tmin_next: np.ndarray | None = None,
) -> np.ndarray:
    """Degree days for numpy arrays of any shape (time on the last axis); float32 in gives float32 out."""
    canonical = validate(method, cutoff, lower, upper)
    tmin, tmax = np.broadcast_arrays(np.asarray(tmin), np.asarray(tmax))
    dtype = np.float32 if tmin.dtype == np.float32 and tmax.dtype == np.float32 else np.float64
    tmin = np.asarray(tmin, dtype=dtype)
    tmax = np.asarray(tmax, dtype=dtype)
    if canonical == "simple-average-2" and tmin.ndim:
        fast = _clamped_average(_as_float(tmin, dtype), _as_float(tmax, dtype), float(lower), float(upper))
        if fast is not None:
            return fast.reshape(tmin.shape)
    bad = tmin > tmax
    if bad.any():
        where = np.unravel_index(int(np.argmax(bad)), bad.shape) if bad.ndim else ()
        raise InvalidInput(
            "tmin",
            f"{tmin[where]} > tmax {tmax[where]} at index {tuple(int(i) for i in where)}",
            "tmin <= tmax",
        )
    shape = tmin.shape
    tnext = None
    if canonical in DOUBLE_METHODS:
        if tmin_next is None:
            tnext = _default_next(tmin) if tmin.ndim else tmin
        else:
            tnext = np.broadcast_to(np.asarray(tmin_next, dtype=dtype), shape)
        tnext = _as_float(tnext, dtype)
    flat_min, flat_max = _as_float(tmin, dtype), _as_float(tmax, dtype)
    out = _compute_flat(canonical, flat_min, flat_max, tnext, float(lower), float(upper), cutoff)
    missing = np.isnan(flat_min) | np.isnan(flat_max)
    if tnext is not None:
        missing |= np.isnan(tnext)
    out[missing] = np.nan
    return out.reshape(shape)


def degree_days(
    tmin: Any,
    tmax: Any,
    *,
    lower: float,
    upper: float,
    method: str,
    cutoff: str,
    tmin_next: Any = None,
) -> Any:
    """Daily degree days from daily minimum and maximum temperature.

    ``tmin``/``tmax`` are numpy arrays (time on the last axis), pandas Series (in time order) or xarray
    DataArrays (with a ``time`` dimension), in the same units as ``lower``/``upper``. The result has the type,
    shape, index or coordinates of ``tmax``. ``method`` is one of ``METHODS`` and ``cutoff`` one of
    ``CUTOFFS`` (see the module docstring for the formulas and the ``modified-average`` alias).

    For the double methods ``tmin_next`` defaults to the next day's minimum along time; on the last day, or
    where that minimum is missing, the day's own minimum is used (the day then gets its single-method
    value), so the newest day of a record still has a value. A missing ``tmin`` or ``tmax`` gives NaN.
    Raises ``InvalidInput`` for an unknown method or cutoff, ``lower >= upper``, or ``tmin > tmax``.
    """
    import xarray as xr

    if isinstance(tmax, xr.DataArray):
        tmin_da = tmin if isinstance(tmin, xr.DataArray) else xr.full_like(tmax, np.nan) + tmin
        tmin_da, tmax_da = xr.broadcast(tmin_da, tmax)
        dims = [d for d in tmax_da.dims if d != "time"] + (["time"] if "time" in tmax_da.dims else [])
        lo_v = tmin_da.transpose(*dims).values
        hi_v = tmax_da.transpose(*dims).values
        nx_v = None
        if tmin_next is not None:
            if not isinstance(tmin_next, xr.DataArray):  # plain values are laid out like tmax
                tmin_next = tmax.copy(data=np.broadcast_to(np.asarray(tmin_next, dtype=float), tmax.shape))
            nx_v = xr.broadcast(tmin_next, tmax_da)[0].transpose(*dims).values
        values = degree_days_array(lo_v, hi_v, lower=lower, upper=upper, method=method, cutoff=cutoff, tmin_next=nx_v)
        order = [*tmax.dims, *(d for d in tmax_da.dims if d not in tmax.dims)]
        result = tmax_da.transpose(*dims).copy(data=values).transpose(*order)
        return result.rename("dd")
    import pandas as pd

    if isinstance(tmax, pd.Series):
        values = degree_days_array(
            np.asarray(tmin, dtype=float),
            tmax.to_numpy(dtype=float),
            lower=lower,
            upper=upper,
            method=method,
            cutoff=cutoff,
            tmin_next=None if tmin_next is None else np.asarray(tmin_next, dtype=float),
        )
        return pd.Series(values, index=tmax.index, name="dd")
    values = degree_days_array(tmin, tmax, lower=lower, upper=upper, method=method, cutoff=cutoff, tmin_next=tmin_next)
    if np.ndim(values) == 0 and not isinstance(tmax, np.ndarray):
        return float(values)
    return values
