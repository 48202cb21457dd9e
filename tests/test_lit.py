"""Runs the lit + FileCheck suite in tests/filecheck, so one pytest command runs all."""

import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(__file__)


def test_filecheck_suite():
    pytest.importorskip("lit")
    result = subprocess.run(
        [sys.executable, "-c", "from lit.main import main; main()", "-q", "-j", "2", os.path.join(HERE, "filecheck")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
