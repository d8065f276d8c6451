"""Every place this project reaches into another package's internals, in one module, each checked by
tests/test_compat.py so that an upgrade that moves them fails there, loudly, and not in a report:

- jupyter_client's ``Session.send`` corrected for asyncio sockets (:func:`patch_session`), and two of
  its ``KernelClient``'s private methods (:func:`kernel_info_received`, :func:`kernel_is_alive`);
- jsonschema's IRI grammars skipped (:func:`skip_rfc3987_grammars`) and pandera's data synthesis loaded
  without hypothesis (:func:`load_pandera_without_data_synthesis`): seconds of every process;
- Voilà's template folders and page handler extended (:func:`serve_static_folder`,
  :func:`set_xsrf_cookie_with_page`) for ``make explore``.

**Session.send.** A page of the explorer sometimes never opened ("Executing 12 of 14" for ever, 1 load in
3 to 16 here). The kernel had run the cell and replied, and was idle; Voilà never read the reply.
jupyter_client's ``Session.send`` writes to an asyncio socket through a plain *shadow* of it, a send the
asyncio socket never sees: libzmq signals readability on an edge, and a send may consume the edge of a
reply arriving at that moment, so the asyncio socket waits on a reply already in its queue
(voila-dashboards/voila#1428; jupyter/jupyter_client#1010 and #1059 propose changes to the same lines).
Sent through the asyncio socket itself, pyzmq re-checks the socket's events after each send and the
reply is read: 48 loads in a row opened, where the unpatched server stuck within 10
(benchmarks/explore_loads.py, RESULTS.md). nbclient, under papermill, waits on its kernel through the
same sends.
"""

from __future__ import annotations

import contextlib
import functools
import sys


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


def kernel_info_received(client, reply: dict) -> None:
    """Record a ``kernel_info_reply`` on ``client`` as jupyter_client's own wait does (its private
    ``KernelClient._handle_kernel_info_reply``: the kernel's language and protocol version)."""
    client._handle_kernel_info_reply(reply)


async def kernel_is_alive(client) -> bool:
    """Whether ``client``'s kernel still runs (jupyter_client's private ``_async_is_alive``)."""
    return await client._async_is_alive()


def skip_rfc3987_grammars() -> None:
    """jsonschema (under nbformat, papermill and nbconvert) builds 38 Lark grammars when it is imported and
    rfc3987-syntax is installed (jupyter-events asks for it), for the "iri" formats no notebook schema
    uses: 1.4–2.7 s in every process that runs or reads a notebook (python-jsonschema/jsonschema#1428).
    Marked absent before anything imports jsonschema, it is skipped as if not installed."""
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)


@functools.cache
def load_pandera_without_data_synthesis() -> None:
    """pandera's first validation in a process loads its data-synthesis strategies, which import
    hypothesis (0.09 s of every report kernel and ``kpi`` command); the project never synthesises data
    with pandera. They are loaded here with hypothesis hidden, as if it were not installed; hypothesis
    itself stays importable (the property tests use it). Where hypothesis is already imported, or
    pandera's modules moved, nothing is changed."""
    if "hypothesis" in sys.modules:
        return
    sys.modules["hypothesis"] = None  # an import of it now fails as if it were absent
    try:
        with contextlib.suppress(ImportError):
            import pandera.strategies.pandas_strategies  # noqa: F401
    finally:
        del sys.modules["hypothesis"]


def serve_static_folder(folder: str, on_setup) -> None:
    """Voilà serves ``folder`` under ``/voila/static/`` too, and calls ``on_setup(app)`` once its template
    folders are set up (``Voila.setup_template_dirs``, extended; its ``static_paths`` and ``base_url``)."""
    from voila.app import Voila

    setup = Voila.setup_template_dirs
    if getattr(setup, "serves_static_folder", False):
        return

    def setup_template_dirs(self):
        setup(self)
        self.static_paths.append(folder)
        on_setup(self)

    setup_template_dirs.serves_static_folder = True
    Voila.setup_template_dirs = setup_template_dirs


def set_xsrf_cookie_with_page() -> None:
    """The page sets the ``_xsrf`` cookie, so that its tab, closed, shuts its kernel down.

    Voilà's page sends ``voila/api/shutdown/<kernel>`` as the tab closes, with the ``_xsrf`` cookie's value;
    but no handler of the page asks for the token, so the cookie never exists and every shutdown was
    refused ("'_xsrf' argument missing from POST", 403): each closed tab left its kernel (about 200 MB)
    until culled. Asking for the token with the page (``VoilaHandler.prepare``, extended) sets the cookie
    (tornado's ``xsrf_token``)."""
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
