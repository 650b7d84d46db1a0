"""Presentation: pure functions from analysis results to figures, maps and HTML. No fetching here.

Look here for what a page shows and how it looks:

- ``figures``: matplotlib charts (``season_curve``, ``sunshine_timeline``, ``outlook_chart``,
  ``station_vs_gridded``), drawn for the text column, units and sources on every chart, "simulated"/"derived"
  stamped inside the figure, each with its alt text (``chart.describe``).
- ``chart``: ``chart(fig)`` shows a figure on a page as HTML with its alt text and a phone rendering.
- ``emergence``: the emergence page's figures (``flight_windows``, ``record_coverage``, ``hindcast_intervals``)
  and tables (``windows_table``, ``statuses_table``, ``hindcast_table``).
- ``maps``: ``sightings_map`` (ipyleaflet markers in distinct colours per species, popups, the place and its
  radius, heat map, layer control), ``map_legend`` (under the map, foldable), ``map_intro``, ``popup_html``,
  ``weather_text``.
- ``tables``: ``html_table`` (escaped cells, http(s)-only links/images; rows become cards on a phone),
  ``sparkline`` (with a month axis), ``kind_label``; ``page_tables``: the species and outlook tables.
- ``answers``: the sentences a reader acts on (the best day and what to look for; each page's summary in words).
- ``words``: dates with weekdays, counts with time frames, lists of names, the mode in words.
- ``provenance``: ``page_banner`` (one line: offline snapshot / stale / simulated / derived; details folded)
  and ``provenance_footer`` (folded, in words).
- ``style`` (palette ``species_color``, house figure style, source names) and ``safe`` (``esc``, ``safe_url``,
  ``link``, ``img``, ``Html``).

Submodules are imported on demand, e.g. ``from butterfly_lib.presentation import figures``.
"""
