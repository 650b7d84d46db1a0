"""The pages: one module per page of the site, each with ``build(ctx) -> <Page>Result``.

Look here for what a page computes and returns. A builder takes a ``PageContext`` (the run's ``Settings``, one
``PlaceSettings``, the shared HTTP session, the as-of date and the run's shared ``Products``), fetches through
the sources, computes with the analyses, and returns a typed result: the datasets it rests on (each with its
provenance), the tables it publishes, the inputs of its figures and its summary for the landing page's cards.
Builders never draw and never switch modes; ``butterfly_lib.presentation`` turns results into figures, maps and
tables, and the notebooks tell the story around them.

Modules: ``context`` (``PageContext``, ``open_context``), ``products`` (what several pages share, computed once
per run and place), ``result`` (``PageResult``, writing a page's data files), and the pages ``forecast``,
``species``, ``sightings_map``, ``degree_days``, ``emergence``, ``methods``.
"""

from butterfly_lib.pages.context import PageContext, open_context
from butterfly_lib.pages.result import PageResult

PAGES = ("forecast", "species", "sightings_map", "degree_days", "emergence", "methods")

__all__ = ["PAGES", "PageContext", "PageResult", "open_context"]
