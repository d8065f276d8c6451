"""jupyter_client's ``Session.send`` corrected for asyncio sockets: every process here that talks to a
kernel through them (``make explore``'s Voilà, ``kpi report``'s papermill and nbclient) applies it.

A page of the explorer sometimes never opened ("Executing 12 of 14" for ever, 1 load in 3 to 16 here). The
kernel had run the cell and replied, and was idle; Voilà never read the reply. jupyter_client's
``Session.send`` writes to an asyncio socket through a plain *shadow* of it, a send the asyncio socket never
sees: libzmq signals readability on an edge, and a send may consume the edge of a reply arriving at that
moment, so the asyncio socket waits on a reply already in its queue (voila-dashboards/voila#1428;
jupyter/jupyter_client#1010 and #1059 propose changes to the same lines). Sent through the asyncio
socket itself, pyzmq re-checks the socket's events after each send and the reply is read: 48 loads in a
row opened, where the unpatched server stuck within 10 (benchmarks/explore_loads.py, RESULTS.md).
nbclient, under papermill, waits on its kernel through the same sends.
"""

from __future__ import annotations

import functools


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
