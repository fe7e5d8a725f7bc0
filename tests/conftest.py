"""Shared fixtures: the default campaign, a workbook parser and the command line."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.config import default_campaign
from core.validate import read_workbook

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def campaign():
    return default_campaign()


@pytest.fixture
def parse(campaign):
    """read_workbook on workbook bytes with the default campaign."""
    def run(data: bytes, file_name: str = "台账.xlsx", **kwargs):
        return read_workbook(data, file_name, campaign, **kwargs)
    return run


class CliResult:
    def __init__(self, proc: subprocess.CompletedProcess):
        self.code = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr

    def json(self) -> dict:
        return json.loads(self.stdout)


def run_cli(*args, env: dict | None = None) -> CliResult:
    """`python -m core ARGS` in the project directory, as a script would run it."""
    full_env = {k: v for k, v in os.environ.items() if k not in ("REDPROP_DB", "REDPROP_CAMPAIGN")}
    full_env.update(env or {})
    proc = subprocess.run([sys.executable, "-m", "core", *map(str, args)], cwd=ROOT, env=full_env,
                          capture_output=True, text=True, timeout=120)
    return CliResult(proc)


@pytest.fixture(scope="session")
def cli():
    return run_cli
