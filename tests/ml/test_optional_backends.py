"""Optional backends stay optional: the base install never imports torch or flair, and a
backend whose extra is missing is reported with the command that installs it."""

from __future__ import annotations

import subprocess
import sys


def test_base_install_does_not_import_torch():
    code = (
        "import sys, tagloop.cli, tagloop.api.app, tagloop.ml.train, tagloop.ml.registry\n"
        "from tagloop.ml.backends import available_backends\n"
        "assert 'flair' in available_backends()\n"
        "assert 'torch' not in sys.modules and 'flair' not in sys.modules, 'imported torch'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_missing_extra_is_reported_as_unavailable():
    code = (
        "import sys\n"
        "sys.modules['torch'] = None  # as if the flair extra were not installed\n"
        "from tagloop.ml.backends.registry import BackendUnavailable, get_backend\n"
        "try:\n"
        "    get_backend('flair')\n"
        "except BackendUnavailable as exc:\n"
        "    assert \"pip install 'tagloop[flair]'\" in str(exc), exc\n"
        "else:\n"
        "    raise SystemExit('no BackendUnavailable')\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
