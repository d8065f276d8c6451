"""``make explore``'s server: Voilà, with three corrections found on the explorer's pages:

- jupyter_client's sends on asyncio sockets (:mod:`kpi.core.kernel_send`): the page that never opened;
- the ``_xsrf`` cookie set with the page (:func:`set_xsrf_cookie_with_page`): a closed tab's kernel
  was never shut down;
- plotly.js served as a file the browser caches (:func:`serve_plotly`).

    .venv/bin/python -m kpi.explore.server notebooks/05_explore.ipynb [voila options]
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def plotly_assets() -> str:
    """The folder of plotly.js as the plotly package ships it."""
    import plotly

    return str(Path(plotly.__file__).parent / "package_data")


def serve_plotly() -> None:
    """Serve plotly.js at ``/voila/static/plotly.min.js`` (the page's template asks for it at once; the
    browser caches it) and tell the kernels so (:data:`kpi.explore.chart.PLOTLY_URL_VARIABLE`): a page then loads
    it as a script, compiled once by the browser, instead of 5 MB through the kernel's socket."""
    from voila.app import Voila

    from kpi.explore.chart import PLOTLY_URL_VARIABLE

    setup = Voila.setup_template_dirs
    if getattr(setup, "serves_plotly", False):
        return

    def setup_template_dirs(self):
        setup(self)
        self.static_paths.append(plotly_assets())
        os.environ[PLOTLY_URL_VARIABLE] = f"{self.base_url}voila/static/plotly.min.js"

    setup_template_dirs.serves_plotly = True
    Voila.setup_template_dirs = setup_template_dirs


def set_xsrf_cookie_with_page() -> None:
    """The page sets the ``_xsrf`` cookie, so that its tab, closed, shuts its kernel down.

    Voilà's page sends ``voila/api/shutdown/<kernel>`` as the tab closes, with the ``_xsrf`` cookie's value;
    but no handler of the page asks for the token, so the cookie never exists and every shutdown was
    refused ("'_xsrf' argument missing from POST", 403): each closed tab left its kernel (about 200 MB)
    until culled. Asking for the token with the page sets the cookie (tornado's ``xsrf_token``)."""
    from voila.handler import VoilaHandler

    prepare = VoilaHandler.prepare
    if getattr(prepare, "sets_xsrf_cookie", False):
        return

    async def prepare_with_xsrf_cookie(self, *args, **kwargs):
        result = await prepare(self, *args, **kwargs)
        self.xsrf_token  # noqa: B018 - reading it sets the cookie
        return result

    prepare_with_xsrf_cookie.sets_xsrf_cookie = True
    VoilaHandler.prepare = prepare_with_xsrf_cookie


def main() -> int:
    """Voilà's own command line, with the session patched, plotly.js served and the xsrf cookie set."""
    from kpi.core.kernel_send import patch_session

    patch_session()
    serve_plotly()
    set_xsrf_cookie_with_page()
    from voila.app import main as voila

    return voila() or 0


if __name__ == "__main__":
    sys.exit(main())
