"""Running the report notebooks through papermill, and rendering them to HTML.

An executed notebook is written beside its target under a temporary name and renamed into
place only when every cell ran; a failed one is kept under ``failed/`` for inspection and the
last good report is left untouched.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import shutil
import time
from pathlib import Path

from kpi.core import atomic, compat, paths
from kpi.publish.pdf import PRINT_CSS, SCREEN_CSS

compat.skip_rfc3987_grammars()  # before anything here imports jsonschema (seconds of every run)


class NotebookFailed(RuntimeError):
    """A report notebook raised: the notebook, where its failing copy is kept, and the cause."""

    def __init__(self, notebook: Path, kept: Path, cause: str):
        super().__init__(f"笔记本运行失败 / notebook failed: {notebook.name}; 已保留出错副本 {kept}\n{cause}")
        self.notebook, self.kept, self.cause = notebook, kept, cause

    def __reduce__(self):  # crosses process boundaries (worker pools) intact
        return NotebookFailed, (self.notebook, self.kept, self.cause)


def execute_notebook(
    notebook: Path,
    output: Path,
    parameters: dict | None = None,
    kernel_name: str = "python3",
    kernel: KernelSession | None = None,
    relative_to: Path | None = None,
) -> Path:
    """Execute ``notebook`` with ``parameters`` into ``output`` (atomic), cwd = the notebook's folder:
    in a kernel of its own, or in ``kernel``'s (reused, its namespace cleared, see :class:`KernelSession`);
    with ``relative_to`` (the project folder) its paths are written relative to it (:func:`project_relative`)."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    notebook, output = Path(notebook).resolve(), Path(output).resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.stem}.running.ipynb")
    _prepare_process()
    ok = False
    try:
        for attempt in (1, 2):
            try:
                executed = papermill.execute_notebook(
                    str(notebook),
                    str(tmp),
                    parameters=parameters or {},
                    kernel_name=kernel_name,
                    cwd=str(notebook.parent),
                    progress_bar=False,
                    log_output=False,
                    shutdown_kernel="immediate",
                    request_save_on_cell_execute=False,  # written once at the end
                    **({"km": kernel.manager(kernel_name, notebook.parent)} if kernel else {}),
                )
                break
            except RuntimeError as exc:
                # two kernels started at one moment can pick the same free TCP port; the loser dies
                # before its first reply. Nothing has run yet: start it once more.
                if attempt == 2 or "Kernel died before replying" not in str(exc):
                    raise
                if kernel:
                    kernel.close()
        ok = True
    except PapermillExecutionError as exc:
        raise NotebookFailed(
            notebook, _keep_failed(tmp, output, f"{exc.ename}: {exc.evalue}"), f"{exc.ename}: {exc.evalue}"
        ) from None
    except (KeyboardInterrupt, SystemExit):
        tmp.unlink(missing_ok=True)
        raise
    except Exception as exc:  # a dead kernel, a full disk: kept under failed/ all the same
        cause = f"{type(exc).__name__}: {exc}"
        raise NotebookFailed(notebook, _keep_failed(tmp, output, cause), cause) from None
    finally:
        if kernel:
            kernel.finished(ok)
    if relative_to is not None:  # rewritten before it is published: the paths of this machine never are
        write_project_relative(executed, tmp, Path(relative_to), output.name)
    os.replace(tmp, output)
    return output


def _prepare_process() -> None:
    """What a process that runs notebooks needs: the charts' inline backend, and jupyter_client's sends
    corrected (:func:`kpi.core.compat.patch_session`; nbclient waits on the kernel's replies through asyncio
    sockets)."""
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    compat.patch_session()


def write_project_relative(notebook_node, path: Path, project: Path, output_name: str) -> Path:
    """Write the executed ``notebook_node`` to ``path`` with its paths made relative
    (:func:`project_relative`); returns ``path``."""
    import nbformat

    nbformat.write(project_relative(notebook_node, project, output_name), str(path))
    return path


def project_relative(notebook_node, project: Path, output_name: str):
    """``notebook_node`` with the absolute paths papermill recorded made relative: parameters (in its
    metadata and the injected cell) to ``project``, the notebook run to the code's folder
    (``notebooks/NAME``), the output to the file's name (it was run in a temporary folder). Returns the
    node, changed in place."""
    meta = notebook_node.metadata.get("papermill", {})
    replaced = {}
    for name, value in meta.get("parameters", {}).items():
        if isinstance(value, str) and os.path.isabs(value):
            replaced[value] = Path(os.path.relpath(value, project)).as_posix()
            meta["parameters"][name] = replaced[value]
    if meta.get("input_path"):  # the code's notebook: notebooks/NAME
        source = Path(meta["input_path"])
        meta["input_path"] = source.relative_to(source.parent.parent).as_posix()
    if meta.get("output_path"):
        meta["output_path"] = output_name
    for cell in notebook_node.cells:
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            for absolute, relative in replaced.items():
                cell.source = cell.source.replace(f'"{absolute}"', f'"{relative}"')
    return notebook_node


#: run in a reused kernel after each notebook: its variables and numbering go, its imports stay (its
#: figures went as each cell ended: the inline backend closes them)
_CLEAR_NAMESPACE = """\
get_ipython().run_line_magic("reset", "-f")
import gc as _gc
_gc.collect()
_gc.freeze()  # what is left (modules, caches) stays: the next notebook's collections skip it
del _gc
get_ipython().execution_count = 1
"""


class KernelSession:
    """One kernel kept for the notebooks a process runs one after another (a batch's worker), instead
    of a kernel started, loaded with pandas, matplotlib and kpi, and shut down for every notebook.

    papermill takes the kernel's manager (``km``, which it hands to nbclient and leaves running).
    After a notebook that ran to the end, the kernel's namespace is cleared (``%reset -f``: every
    variable and output; the execution count back to 1), so the next notebook starts as
    in a fresh kernel with its modules already imported. After a failure the kernel is shut down and
    the next notebook gets a new one. :meth:`close` shuts it down."""

    def __init__(self):
        self._manager = None
        self._key: tuple[str, Path] | None = None

    def manager(self, kernel_name: str, cwd: Path):
        """The kernel manager for a notebook run in ``cwd`` (a new kernel if the name or folder changed)."""
        if self._key != (kernel_name, Path(cwd)):
            from jupyter_client import AsyncKernelClient, AsyncKernelManager

            class ReadyClient(AsyncKernelClient):
                async def wait_for_ready(self, timeout: float | None = None) -> None:
                    """jupyter_client's handshake (kernel_info answered on the shell channel, IOPub
                    delivering) without its last step, a 0.2 s wait for IOPub to fall silent before every
                    notebook: nbclient reads only the messages of its own requests, so none left there is
                    taken for a cell's output."""
                    await _handshake(self, 60.0 if timeout is None else timeout)

            class RecordingManager(AsyncKernelManager):  # keeps nbclient's client, to clear and close it
                client_used = None

                def client(self, **kwargs):
                    self.client_used = super().client(**kwargs)
                    return self.client_used

            self.close()
            self._manager = RecordingManager(kernel_name=kernel_name, client_factory=ReadyClient)
            self._key = (kernel_name, Path(cwd))
        return self._manager

    def finished(self, ok: bool) -> None:
        """After a notebook: clear the namespace when it ran to the end, else shut the kernel down."""
        from jupyter_core.utils import run_sync

        client = self._manager.client_used if self._manager else None
        if self._manager:
            self._manager.client_used = None
        try:
            if ok and client is not None:
                run_sync(self._clear)(client)
        except Exception as exc:  # a kernel that cannot be cleared is not used again
            logging.getLogger(__name__).warning(f"kernel not reused / 内核未能清空，下一份报告换新内核: {exc}")
            ok = False
        finally:
            if client is not None:
                client.stop_channels()
        if not ok:
            self.close()

    @staticmethod
    async def _clear(client) -> None:
        request = client.execute(_CLEAR_NAMESPACE, silent=True, store_history=False)
        reply = await client.get_shell_msg(timeout=60)
        while reply["parent_header"].get("msg_id") != request:  # a late reply to an earlier request
            reply = await client.get_shell_msg(timeout=60)
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"namespace not cleared: {reply['content']}")

    def close(self) -> None:
        """Shut the kernel down (now), if there is one."""
        from jupyter_core.utils import run_sync

        manager, self._manager, self._key = self._manager, None, None
        if manager is not None and manager.has_kernel:
            with contextlib.suppress(Exception):
                run_sync(manager.shutdown_kernel)(now=True)


async def _handshake(client, timeout: float) -> None:
    """Ask for kernel_info until the shell channel answers and IOPub delivers that request's status."""
    from queue import Empty

    deadline = time.monotonic() + timeout
    while True:
        client.kernel_info()
        try:
            reply = await client.shell_channel.get_msg(timeout=1)
        except Empty:
            reply = None
        if reply is not None and reply["msg_type"] == "kernel_info_reply":
            try:
                await client.iopub_channel.get_msg(timeout=0.2)
            except Empty:
                pass  # IOPub not connected yet: ask again
            else:
                compat.kernel_info_received(client, reply)
                return
        if not await compat.kernel_is_alive(client):
            raise RuntimeError("Kernel died before replying to kernel_info")
        if time.monotonic() > deadline:
            raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")


def _keep_failed(tmp: Path, output: Path, cause: str) -> Path:
    """The partly executed notebook under ``failed/``; where there is none (the kernel never started,
    the disk is full), a note with the error in its place."""
    folder = output.parent / "failed"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if tmp.exists():
            shutil.move(str(tmp), folder / output.name)
            return folder / output.name
        note = folder / f"{output.stem}.error.txt"
        note.write_text(f"{output.name} 运行失败 / failed:\n{cause}\n", encoding="utf-8")
        return note
    except OSError:
        tmp.unlink(missing_ok=True)
        return folder


@functools.cache
def _html_exporter():
    """One exporter per process: its templates are loaded once, not for every report. The template is
    nbconvert's lab one with the print stylesheet added (``kpi/templates/nbconvert/report``)."""
    from nbconvert import HTMLExporter

    # lang="zh": browsers then draw the Chinese text in the CJK font's Simplified Chinese forms; with
    # nbconvert's default "en", Chromium picks the first Noto Sans CJK face, Japanese (关, 令, 直 drawn the Japanese way)
    return HTMLExporter(
        extra_template_basedirs=[str(paths.TEMPLATES / "nbconvert")],
        template_name="report",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        language_code="zh",
    )


def notebook_to_html(notebook: Path, html: Path, title: str | None = None) -> Path:
    """HTML with code cells hidden (the reader sees text, tables and charts) and the A4 print stylesheet;
    ``title`` is the page's (and its PDF's) title."""
    import nbformat

    notebook_node = nbformat.read(str(notebook), as_version=4)
    if title:
        notebook_node.metadata["title"] = title
    resources = {"kpi_print_css": PRINT_CSS, "kpi_screen_css": SCREEN_CSS}
    body, _ = _html_exporter().from_notebook_node(notebook_node, resources=resources)
    return atomic.write_text(html, body)
