"""The Streamlit server configuration that hardening relies on (.streamlit/config.toml)."""
from __future__ import annotations

import tomllib
from pathlib import Path

from core.config import default_campaign

ROOT = Path(__file__).resolve().parent.parent


def config() -> dict:
    return tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))


def test_error_details_are_hidden_from_users():
    assert config()["client"]["showErrorDetails"] == "none"


def test_xsrf_protection_is_on_and_static_files_are_not_served():
    server = config()["server"]
    assert server["enableXsrfProtection"] is True and server["enableStaticServing"] is False
    assert server.get("enableCORS", True) is True  # Streamlit turns XSRF off when CORS is off


def test_the_upload_size_limit_is_the_gates():
    assert config()["server"]["maxUploadSize"] == default_campaign().max_upload_mb
    page = (ROOT / "pages" / "upload.py").read_text(encoding="utf-8")
    assert "max_upload_size=campaign.max_upload_mb" in page


def test_the_app_refuses_to_start_without_defusedxml(tmp_path, monkeypatch):
    import sys

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    monkeypatch.setitem(sys.modules, "defusedxml", None)  # `import defusedxml` now fails, as if not installed
    monkeypatch.setenv("REDPROP_DB", str(tmp_path / "app.duckdb"))
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception
    assert "看板无法启动" in at.error[0].value and "defusedxml" in at.error[0].value
    assert not at.metric and not (tmp_path / "app.duckdb").exists()  # nothing opened, nothing served
