"""Analysis: pure computations on tidy frames and arrays (no HTTP, no HTML).

Look here for anything computed from source data rather than fetched: degree days
(``butterfly_lib.analysis.degree_days``: daily methods, seasonal accumulation, 30-year normals and
this year against normal), and the modules other parts of the project add alongside it
(normals, emergence, weather, outlook).

This package imports nothing eagerly; import the submodule you need, e.g.
``from butterfly_lib.analysis.degree_days import degree_days, accumulate, normals``.
"""
