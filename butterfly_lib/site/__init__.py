"""The website machinery: notebooks -> executed pages -> ``_site/`` (Quarto, or nbconvert without it).

Look here to change how the site is built. Modules:
``navigation`` (the pages and their order, from the navbar of ``_quarto.yml``),
``config`` (``site.yml``: places and parameter overrides; ``load_site_config``),
``connectivity`` (``probe_apis``: do the API hosts accept a TCP connection, in about 3 s),
``api_probe`` (``probe_api_answers``: does each API answer a cheap real request as itself; the mode's probe),
``modes`` (``choose_mode``: live, snapshot fallback, strict; the environment the kernels inherit),
``runner`` (``run_pages``: papermill over every page and place; ``PageFailed`` names notebook and cell),
``run_folder`` (one run owns ``pages/``: the lock, the staging folder, the swap that publishes a whole run),
``index_cards`` (``write_cards``: the landing page's cards from the ``*-summary.json`` files),
``fallback`` (``build_site``: ``_site/`` with nbconvert when Quarto is missing),
``cli`` (the ``run`` and ``site`` subcommands).
This layer imports from ``presentation`` and below, never the other way round.
"""
