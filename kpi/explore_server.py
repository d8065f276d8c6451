"""``make explore``'s server: Voilà, started with one correction to how jupyter_client sends a message on
an asyncio socket, and plotly.js served as a static file (:func:`serve_plotly`).

The explorer's page sometimes never opened ("Executing 12 of 14" for ever, 1 load in 3 to 16 here). The
kernel had run the cell and replied, and was idle; Voilà never read the reply. jupyter_client's
``Session.send`` writes to an asyncio socket through a plain *shadow* of it, a send the asyncio socket never
sees: libzmq signals readability on an edge, and a send may consume the edge of a reply arriving at that
moment, so the asyncio socket waits on a reply already in its queue (voila-dashboards/voila#1428;
jupyter/jupyter_client#1010 and #1059 propose changes to the same lines). Sent through the asyncio
socket itself, pyzmq re-checks the socket's events after each send and the reply is read: 48 loads in a
row opened, where the unpatched server stuck within 10 (benchmarks/explore_loads.py, RESULTS.md).

    .venv/bin/python -m kpi.explore_server notebooks/05_explore.ipynb [voila options]
"""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path


class AsyncioSender:
    """An asyncio socket as ``Session.send`` sees it: something with ``send_multipart`` (its own, which
    keeps the socket's event watching right), not a socket to shadow."""

    def __init__(self, socket):
        self.socket = socket

    def send_multipart(self, parts, flags: int = 0, copy: bool = True, track: bool = False):
        """The socket's own send; the future it returns completes when libzmq has the message."""
        return self.socket.send_multipart(parts, flags=flags, copy=copy, track=track)


def send_through_asyncio_sockets(send):
    """``Session.send`` wrapped so that an asyncio socket is written through itself (see the module)."""
    import zmq.asyncio

    @functools.wraps(send)
    def wrapped(self, stream, *args, **kwargs):
        if isinstance(stream, zmq.asyncio.Socket):
            stream = AsyncioSender(stream)
        return send(self, stream, *args, **kwargs)

    wrapped.sends_through_asyncio_sockets = True
    return wrapped


def patch_session() -> None:
    """Apply :func:`send_through_asyncio_sockets` to jupyter_client's ``Session`` (once)."""
    from jupyter_client.session import Session

    if not getattr(Session.send, "sends_through_asyncio_sockets", False):
        Session.send = send_through_asyncio_sockets(Session.send)


def plotly_assets() -> str:
    """The folder of plotly.js as the plotly package ships it."""
    import plotly

    return str(Path(plotly.__file__).parent / "package_data")


def serve_plotly() -> None:
    """Serve plotly.js at ``/voila/static/plotly.min.js`` (the page's template asks for it at once; the
    browser caches it) and tell the kernels so (:data:`kpi.explore_chart.PLOTLY_URL_VARIABLE`): a page then loads
    it as a script, compiled once by the browser, instead of 5 MB through the kernel's socket."""
    from voila.app import Voila

    from kpi.explore_chart import PLOTLY_URL_VARIABLE

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
    patch_session()
    serve_plotly()
    set_xsrf_cookie_with_page()
    from voila.app import main as voila

    return voila() or 0


if __name__ == "__main__":
    sys.exit(main())
