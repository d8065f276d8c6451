"""``make explore``'s server: Voilà, with three corrections found on the explorer's pages:

- jupyter_client's sends on asyncio sockets (:func:`kpi.core.compat.patch_session`): the page that never
  opened;
- the ``_xsrf`` cookie set with the page (:func:`kpi.core.compat.set_xsrf_cookie_with_page`): a closed
  tab's kernel was never shut down;
- plotly.js served as a file the browser caches (:func:`serve_plotly`).

    .venv/bin/python -m kpi.explore.server notebooks/05_explore.ipynb [voila options]
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from kpi.core import compat
from kpi.explore.chart import PLOTLY_URL_VARIABLE


def plotly_assets() -> str:
    """The folder of plotly.js as the plotly package ships it."""
    import plotly

    return str(Path(plotly.__file__).parent / "package_data")


def serve_plotly() -> None:
    """Serve plotly.js at ``/voila/static/plotly.min.js`` (the page's template asks for it at once; the
    browser caches it) and tell the kernels so (:data:`kpi.explore.chart.PLOTLY_URL_VARIABLE`): a page then loads
    it as a script, compiled once by the browser, instead of 5 MB through the kernel's socket."""

    def tell_kernels(app) -> None:
        os.environ[PLOTLY_URL_VARIABLE] = f"{app.base_url}voila/static/plotly.min.js"

    compat.serve_static_folder(plotly_assets(), tell_kernels)


def main() -> int:
    """Voilà's own command line, with the session patched, plotly.js served and the xsrf cookie set."""
    compat.patch_session()
    serve_plotly()
    compat.set_xsrf_cookie_with_page()
    from voila.app import main as voila

    return voila() or 0


if __name__ == "__main__":
    sys.exit(main())
