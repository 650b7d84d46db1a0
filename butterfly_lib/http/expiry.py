"""Cache tiers and how long each keeps a response.

Look here to tune a TTL. Tiers follow the design document (summarised in README.md, "Data, caching and offline
operation"): live data (forecasts, this week's sightings) for hours, current data (requests reaching into the
last ~10 days) for a day, seasonal summaries over all years (week-of-year histograms, which a week of new
sightings barely moves) for a week, historical data (wholly in the past) forever, reference data (taxa, places,
station metadata) for 90 days. Derived outputs are never cached.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

#: a date range ending this many days before today or earlier counts as wholly in the past
RECENT_DAYS = 10


class Tier(StrEnum):
    LIVE = "live"  # forecast, ensemble, this week's sightings
    LIVE_SHORT = "live_short"  # 15-minute nowcast
    CURRENT = "current"  # this year's counts; archive/NOAA reaching into the last ~10 days
    SEASONAL = "seasonal"  # all-years week-of-year histograms
    HISTORICAL = "historical"  # archive/NOAA wholly in the past
    REFERENCE = "reference"  # taxa, places, station metadata


#: None means "never expires"
TTL: dict[Tier, timedelta | None] = {
    Tier.LIVE_SHORT: timedelta(hours=1),
    Tier.LIVE: timedelta(hours=3),
    Tier.CURRENT: timedelta(hours=24),
    Tier.SEASONAL: timedelta(days=7),
    Tier.HISTORICAL: None,
    Tier.REFERENCE: timedelta(days=90),
}


def tier_for_range(end: date, today: date | None = None) -> Tier:
    """Tier of a date-ranged request (archive, NOAA): historical when it ends before the recent window."""
    today = today or datetime.now(UTC).date()
    return Tier.HISTORICAL if end < today - timedelta(days=RECENT_DAYS) else Tier.CURRENT


def expires_at(tier: Tier, now: datetime | None = None) -> datetime | None:
    """Absolute UTC expiry of a response fetched ``now`` in ``tier`` (None: never)."""
    ttl = TTL[Tier(tier)]
    if ttl is None:
        return None
    now = now or datetime.now(UTC)
    return now + ttl
