"""`streamlit run app.py --server.address 0.0.0.0` with no account refuses to serve openly.

The server listens on every interface, but the test only ever connects to 127.0.0.1.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from core import accounts, store
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, start_streamlit

playwright = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")


def test_no_accounts_on_a_network_address_serves_only_a_refusal(tmp_path):
    db = tmp_path / "open.duckdb"
    with store.connect(db) as conn:  # an empty database: no account (the sample data loads at first start)
        assert not accounts.has_accounts(conn)
    proc, url = start_streamlit(db, "0.0.0.0")
    try:
        with playwright.sync_playwright() as p:
            chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = chromium.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN")
            for path in ("", "/ranking", "/upload"):
                page.goto(url + path, wait_until="networkidle")
                page.wait_for_selector("[data-testid='stMain'] h1", timeout=90_000)
                page.wait_for_selector("text=python -m core user add", timeout=90_000)  # the page's last line
                page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
                                       timeout=90_000)
                body = page.inner_text("body")
                assert "无法在网络上开放" in body and "当前服务地址为 0.0.0.0" in body
                for data in ("总览", "考核排名", "统计截至日期", "示例数据", "般阳路街道"):
                    assert data not in body, data
                assert not page.query_selector("[data-testid='stSidebarNav']")
                assert not page.query_selector("[data-testid='stDataFrame']")
            chromium.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
