#!/usr/bin/env bash
# Project set-up, idempotent: a project-local venv (.venv) with the pinned packages,
# and a CJK font for the charts. Re-running does nothing when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
WITH_BROWSER=0
[ "${1:-}" = "--browser" ] && WITH_BROWSER=1
# --check: only say whether the venv's packages are current (exit 1 if not); nothing is installed
CHECK_ONLY=0
[ "${1:-}" = "--check" ] && CHECK_ONLY=1
PYTHON=${PYTHON:-python3}
say() { printf '[setup] %s\n' "$*"; }

# 1. Python 3.11+ with venv support.
if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
    echo "[setup] error: $PYTHON is not Python >= 3.11. Install python3.11 (Debian: apt-get install python3 python3-venv) or set PYTHON=/path/to/python3.11." >&2
    exit 1
fi

# 2. The venv, re-installed only when pyproject.toml or constraints.txt changed.
want=$(cat pyproject.toml constraints.txt | sha256sum | cut -c1-16)
have=$(cat "$VENV/.setup-hash" 2>/dev/null || true)
if [ "$CHECK_ONLY" = 1 ]; then
    [ "$want" = "$have" ] && exit 0
    echo "[setup] $VENV is older than pyproject.toml or constraints.txt: run bash scripts/setup.sh" >&2
    exit 1
fi
if [ "$want" != "$have" ]; then
    if [ ! -x "$VENV/bin/python" ]; then
        say "creating $VENV"
        "$PYTHON" -m venv "$VENV" || {
            echo "[setup] error: could not create a venv. On Debian: apt-get install python3-venv" >&2; exit 1; }
    fi
    say "installing packages (pinned by constraints.txt)"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q --no-compile -c constraints.txt -e ".[dev,dask,explore]"
    # their bytecode compiled on every core (pip compiles one file after another: half the install's time);
    # a few packages ship files that are not Python 3, which pip skips too
    "$VENV/bin/python" -m compileall -qq -j 0 "$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')" || true
    echo "$want" > "$VENV/.setup-hash"
else
    say "packages up to date"
fi

# 2b. The package's bytecode, compiled now: an editable install leaves it to the first import, and where
#     PYTHONDONTWRITEBYTECODE is set (as on this project's machines) every command, kernel and test worker
#     would compile kpi's modules again. Up-to-date files are skipped; an edited module is simply recompiled.
"$VENV/bin/python" -m compileall -q kpi tests

# 3. A CJK font, so that Chinese labels never render as empty boxes.
if "$VENV/bin/python" -c 'import kpi.outputs.plots as p, sys; sys.exit(0 if p.find_cjk_font() else 1)' 2>/dev/null; then
    say "CJK font present"
else
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        say "installing fonts-noto-cjk (Debian, OFL licence)"
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -qq --no-install-recommends fonts-noto-cjk >/dev/null 2>&1 \
            || { apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends fonts-noto-cjk >/dev/null; }
    elif command -v apt-get >/dev/null 2>&1 && command -v sudo >/dev/null 2>&1; then
        say "installing fonts-noto-cjk with sudo"
        sudo apt-get update -qq && sudo apt-get install -y -qq --no-install-recommends fonts-noto-cjk
    fi
    if ! "$VENV/bin/python" -c 'import kpi.outputs.plots as p, sys; sys.exit(0 if p.find_cjk_font() else 1)'; then
        echo "[setup] error: no Noto Sans CJK font found. Install one: Debian/Ubuntu 'apt-get install fonts-noto-cjk'," >&2
        echo "        conda 'conda install -c conda-forge font-ttf-noto-cjk', or set KPI_CJK_FONT=/path/to/NotoSansCJK-Regular.ttc" >&2
        exit 1
    fi
    say "CJK font installed"
fi

# 3b. The PDFs' Chinese font: that Noto Sans CJK SC converted to TrueType (kpi/publish/print_font.py says why), once.
#     fontconfig's fc-match finds the face Chromium uses; without it the PDFs keep the system font (slower).
if ! command -v fc-match >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    say "installing fontconfig (Debian)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends fontconfig >/dev/null 2>&1 || true
fi
"$VENV/bin/python" -m kpi.publish.print_font

# 4. Chromium prints the reports to PDF (and the browser test reads them). Debian's package; no download by playwright.
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
    say "Chromium present"
elif command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    say "installing chromium (Debian) to print the reports to PDF"
    export DEBIAN_FRONTEND=noninteractive
    { apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1 \
        || { apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends chromium >/dev/null; }; } \
        || say "warning: could not install chromium; reports will have no PDF (the log says why)"
else
    say "warning: no chromium and no root apt-get; reports will have no PDF (install chromium)"
fi

# 5. For the tests only: LibreOffice's headless Calc and Writer (the xlsx and the .docx opened as a reader
#    would) and poppler-utils (pdftotext, to read the printed PDFs). Tests that need them skip, saying why.
if [ "$WITH_BROWSER" = 1 ]; then
    office=/usr/lib/libreoffice/program
    if command -v soffice >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1 \
            && [ -e "$office/libswlo.so" ] && [ -e "$office/libsclo.so" ]; then
        say "LibreOffice and poppler-utils present"
    elif command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        say "installing LibreOffice (headless Calc, Writer) and poppler-utils for the publication tests"
        export DEBIAN_FRONTEND=noninteractive
        packages="libreoffice-calc-nogui libreoffice-writer-nogui poppler-utils"
        { apt-get install -y -qq --no-install-recommends $packages >/dev/null 2>&1 \
            || { apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends $packages >/dev/null; }; } \
            || say "warning: could not install LibreOffice; those tests will be skipped and say why"
    else
        say "warning: no LibreOffice and no root apt-get; those tests will be skipped and say why"
    fi
fi
