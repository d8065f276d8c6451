"""What kpi/core/compat.py relies on in other packages' internals, checked one by one: an upgrade that
moves any of it fails here, naming what moved, instead of slowing or breaking a report run."""

import importlib.util
import inspect

import pytest


def test_jupyter_clients_session_send_still_writes_a_stream_we_can_wrap():
    """patch_session wraps ``Session.send(self, stream, msg_or_type, …)`` and hands it an object with
    ``send_multipart``: the method must still take the stream second and write through ``send_multipart``."""
    from jupyter_client.session import Session

    send = getattr(Session.send, "__wrapped__", Session.send)
    assert list(inspect.signature(send).parameters)[:3] == ["self", "stream", "msg_or_type"]
    assert "send_multipart" in inspect.getsource(send)


def test_jupyter_clients_private_kernel_client_methods_are_there():
    from jupyter_client.client import KernelClient

    assert callable(getattr(KernelClient, "_handle_kernel_info_reply", None)), "KernelClient._handle_kernel_info_reply"
    assert inspect.iscoroutinefunction(getattr(KernelClient, "_async_is_alive", None)), "KernelClient._async_is_alive"


def test_jsonschema_still_looks_for_rfc3987_syntax_by_that_name():
    """skip_rfc3987_grammars marks the module ``rfc3987_syntax`` absent; jsonschema must still import it by
    that name (else the grammars are built again, seconds per process, and nothing fails)."""
    spec = importlib.util.find_spec("jsonschema._format")
    assert spec is not None and "rfc3987_syntax" in spec.loader.get_source("jsonschema._format")


def test_panderas_data_synthesis_module_is_where_we_load_it():
    """load_pandera_without_data_synthesis imports ``pandera.strategies.pandas_strategies`` with hypothesis
    hidden; the module must still exist and still be what imports hypothesis."""
    spec = importlib.util.find_spec("pandera.strategies.pandas_strategies")
    assert spec is not None and "hypothesis" in spec.loader.get_source(spec.name)


def test_voila_still_has_the_methods_the_explorer_extends():
    pytest.importorskip("voila")  # the explore extra
    from voila.app import Voila
    from voila.handler import VoilaHandler

    setup = getattr(Voila.setup_template_dirs, "__wrapped__", Voila.setup_template_dirs)
    assert "static_paths" in inspect.getsource(Voila) and callable(setup), "Voila.setup_template_dirs, static_paths"
    assert "base_url" in inspect.getsource(Voila), "Voila.base_url"
    assert inspect.iscoroutinefunction(VoilaHandler.prepare), "VoilaHandler.prepare is no longer a coroutine"
