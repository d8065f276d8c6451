"""A view of the explorer has an address (#28): the regions, indicator, months and what-if in the page's
query (``?token=…&region=东方镇,壶山镇&indicator=新增发明专利&start=2025-01&end=2025-12&month=2025-12``), so
that an analyst sends a colleague “this view” and it opens as it was. Voilà hands the page's request to the
kernel as CGI variables (``QUERY_STRING``, ``SERVER_NAME``, ``SERVER_PORT``, ``SCRIPT_NAME``); in
JupyterLab there are none and the notebook's parameters decide. Names may be any the registry knows
(aliases, Chinese or ids), as the notebook's parameters.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from urllib.parse import parse_qs, urlencode

from kpi.core.errors import InputError
from kpi.core.parsing import parse_period
from kpi.explore.data import selection
from kpi.metadata.registry import Registry

#: what a view's address holds, in this order
VIEW_KEYS = ("region", "indicator", "start", "end", "month", "change")


def asked_view(query: str) -> dict[str, str]:
    """What the page's query asks for (only :data:`VIEW_KEYS`; the token and anything else ignored)."""
    parsed = parse_qs(query or "", keep_blank_values=False)
    return {key: parsed[key][0] for key in VIEW_KEYS if key in parsed}


def start_view(registry: Registry, months: list[str], parameters: dict, query: str = "") -> dict:
    """The view a page opens on: what its address asks for, else the notebook's parameters, else the
    defaults (the registry's first region and indicator, every month, the latest to compare). Regions
    come back as canonical names, the indicator as its id, months as ``YYYY-MM``. A name or month the data
    do not have is an :class:`InputError` naming the part of the view (``region``, ``indicator``, …) and
    the value."""
    from_address = asked_view(query)
    asked = {**{k: v for k, v in parameters.items() if v}, **from_address}
    names = [name for name in str(asked.get("region", "")).split(",") if name.strip()]
    with _naming("region", asked.get("region"), "用已知的区域名或别名，多个以逗号分隔"):
        regions = [registry.resolve_region(name) for name in names]
    with _naming("indicator", asked.get("indicator"), "用已知的指标名或编号"):
        first, indicator = selection(registry, regions[0] if regions else "", asked.get("indicator", ""))
    regions = list(dict.fromkeys([first, *regions]))
    start = _month(asked, "start", months, months[0])
    end = _month(asked, "end", months, months[-1])
    month = _month(asked, "month", months, end)
    return {
        "region": regions,
        "indicator": indicator,
        "start": start,
        "end": end,
        "month": month,
        "change": asked.get("change", "+5"),
        "run_what_if": "change" in from_address,  # a shared what-if opens computed
    }


@contextlib.contextmanager
def _naming(key: str, value, fix: str):
    """A name the registry does not know, or a month that is not one, as an :class:`InputError` naming
    the part of the view and the value."""
    try:
        yield
    except (KeyError, ValueError) as error:
        raise InputError(str(error.args[0]) if error.args else str(error), column=key, value=value, fix=fix) from None


def _month(asked: dict, key: str, months: list[str], default: str) -> str:
    """A month of the view, one the data have; else an :class:`InputError` naming the span there is."""
    if not asked.get(key):
        return default
    with _naming(key, asked[key], "月份写作 YYYY-MM，如 2025-06"):
        month = parse_period(asked[key])
    if month not in months:
        raise InputError(
            f"没有 {month} 的数据 / no data for that month",
            column=key,
            value=asked[key],
            fix=f"选 {months[0]} 至 {months[-1]} 之间有数据的月份",
        )
    return month


def view_address(environ: Mapping[str, str], view: dict) -> str:
    """The address of ``view`` on the server that served this page (the same page and token), or ``""``
    where no server served it (JupyterLab)."""
    host = environ.get("SERVER_NAME", "")
    if not host:
        return ""
    token = parse_qs(environ.get("QUERY_STRING", "")).get("token", [""])[0]
    query = {"token": token} if token else {}
    for key in VIEW_KEYS:
        value = view.get(key)
        if value:
            query[key] = ",".join(value) if isinstance(value, list | tuple) else str(value)
    port = environ.get("SERVER_PORT", "")
    return f"http://{host}{':' + port if port else ''}{environ.get('SCRIPT_NAME', '/')}?{urlencode(query)}"
