"""Presentation: pure functions from analysis results to figures, maps and HTML. No fetching here.

Look here for what a page shows and how it looks:

- ``figures``: matplotlib charts (``season_curve``, ``sunshine_timeline``, ``outlook_chart``,
  ``station_vs_gridded``), phone-width, units and sources on every chart, "simulated"/"derived" stamped inside
  the figure.
- ``emergence``: the emergence page's figures (``flight_windows``, ``record_coverage``, ``hindcast_intervals``)
  and tables (``windows_table``, ``statuses_table``, ``hindcast_table``).
- ``maps``: ``sightings_map`` (ipyleaflet markers per species, popups, heat map, layer control, legend),
  ``popup_html``, ``weather_text``.
- ``tables``: ``html_table`` (escaped cells, http(s)-only links/images), ``sparkline``, ``kind_label``;
  ``page_tables``: the species and outlook tables of the pages.
- ``provenance``: ``page_banner`` (offline snapshot / stale / simulated / derived notices) and
  ``provenance_footer``.
- ``pages``: page glue the notebooks call: writing ``<name>-*.csv/json`` and ``<name>-summary.json``.
- ``style`` (palette ``species_color``, house figure style) and ``safe`` (``esc``, ``safe_url``, ``link``,
  ``img``, ``Html``).

Submodules are imported on demand, e.g. ``from butterfly_lib.presentation import figures``.
"""
