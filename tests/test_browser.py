"""The real app in headless Chromium: sign in through the login page, then every page renders
without a Streamlit exception. The administrator is created with the command line, as in production.

Screenshots of every page at 1920×1080 and 1366×768 go to test-artifacts/screenshots/.
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from core import store
from core.cli import load_sample

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
SHOTS = ROOT / "test-artifacts" / "screenshots"
PAGES = {"overview": "", "town": "town", "ranking": "ranking", "upload": "upload", "submissions": "submissions",
         "ledger": "ledger", "manage": "manage", "accounts": "accounts", "audit": "audit", "settings": "settings",
         "presenter": "presenter", "bulletin": "bulletin"}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

ADMIN, ADMIN_PASSWORD = "管理员", "browser-test-password"

playwright = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_streamlit(db: Path, address: str | None = None) -> tuple[subprocess.Popen, str]:
    """`streamlit run app.py` over `db` on a free port (on `address` where given), once it answers."""
    port = free_port()
    env = {**os.environ, "REDPROP_DB": str(db)}
    bind = ["--server.address", address] if address else []
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), *bind,
                             "--server.headless", "true"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
            return proc, url
        except OSError:
            time.sleep(0.5)
    proc.kill()
    pytest.fail("streamlit did not start: " + proc.stdout.read().decode(errors="replace"))


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`streamlit run app.py` on a free local port over a copy of the sample database."""
    db = tmp_path_factory.mktemp("browser") / "app.duckdb"
    conn = store.connect(db)
    load_sample(conn)
    conn.close()
    create_admin(db)
    proc, url = start_streamlit(db)
    yield url
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def create_admin(db: Path) -> None:
    """`python -m core user add` with the password on standard input, as an installer would run it."""
    proc = subprocess.run([sys.executable, "-m", "core", "user", "add", ADMIN, "--role", "admin", "--db", str(db)],
                          cwd=ROOT, input=ADMIN_PASSWORD + "\n", capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def settle(page) -> None:
    page.wait_for_selector("[data-testid='stMain'] h1", timeout=60_000)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)


def sign_in(page, name: str = ADMIN, password: str = ADMIN_PASSWORD) -> None:
    """Fill 用户名 and 密码 on the real login page and click 登录."""
    page.fill("input[aria-label='用户名']", name)
    page.fill("input[aria-label='密码']", password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_selector("input[aria-label='密码']", state="detached", timeout=60_000)
    settle(page)


def render(page, url: str) -> None:
    """Open `url`: a new browser session is a new Streamlit session, so it signs in first and then
    shows the page asked for."""
    page.goto(url, wait_until="networkidle")
    page.wait_for_selector("input[aria-label='密码']", timeout=60_000)
    sign_in(page)
    page.wait_for_timeout(1500)  # charts draw after the script finishes


@pytest.mark.parametrize("width, height", [(1920, 1080), (1366, 768)])
def test_every_page_renders_without_an_exception(server, browser, width, height):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": width, "height": height}, locale="zh-CN")
    for name, path in PAGES.items():
        render(page, f"{server}/{path}")
        exceptions = page.query_selector_all("[data-testid='stException']")
        assert not exceptions, f"{name}: {[e.inner_text() for e in exceptions]}"
        assert "Traceback" not in page.inner_text("body")
        page.screenshot(path=SHOTS / f"{name}_{width}x{height}.png")
        full = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
        page.set_viewport_size({"width": width, "height": max(height, full)})
        page.wait_for_timeout(800)
        page.screenshot(path=SHOTS / f"{name}_{width}x{height}_full.png")
        page.set_viewport_size({"width": width, "height": height})
    page.close()


def test_navigation_lists_the_chinese_page_titles(server, browser):
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    render(page, server)
    nav = page.inner_text("[data-testid='stSidebarNav']")
    for title in ("总览", "镇办详情", "考核排名", "数据上报", "报送情况", "台账查询", "数据管理"):
        assert title in nav
    page.close()


def test_a_deep_link_after_start_shows_the_real_navigation(server, browser):
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    render(page, f"{server}/ranking")
    assert "考核排名" in page.inner_text("[data-testid='stMain'] h1")
    assert "推进看板" in page.inner_text("[data-testid='stSidebarNav']")
    page.close()


def test_a_bad_workbook_upload_explains_itself_in_the_browser(server, browser):
    bad = ROOT / "sample_data" / "examples" / "错误示例_岭子镇.xlsx"
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    render(page, f"{server}/upload")
    page.set_input_files("[data-testid='stFileUploaderDropzoneInput']", str(bad))
    page.wait_for_selector("text=不能导入", timeout=60_000)
    page.wait_for_timeout(1500)
    body = page.inner_text("[data-testid='stMain']")
    assert "有 " in body and "处错误" in body and "没有可以导入的工作簿" in body
    full = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": 1366, "height": max(768, full)})
    page.wait_for_timeout(800)
    page.screenshot(path=SHOTS / "upload_bad_workbook_1366x768_full.png")
    page.close()


def test_every_presenter_slide_fits_a_1366x768_projector(server, browser):
    """会议模式: a screenshot of every slide; each fits the screen without scrolling, and 下一页 turns it."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    render(page, f"{server}/presenter")
    assert not page.is_visible("[data-testid='stSidebar']")  # no sidebar on the projector
    titles = []
    while not titles or page.inner_text("h1.rp-title") != titles[0]:  # round to the first slide again
        title = page.inner_text("h1.rp-title")
        titles.append(title)
        assert len(titles) <= 40 and not page.query_selector_all("[data-testid='stException']"), title
        height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
        assert height <= 768, f"slide {len(titles)} ({title}) is {height}px high"
        page.screenshot(path=SHOTS / f"presenter_{len(titles):02d}_1366x768.png")
        page.get_by_role("button", name="下一页").click()
        page.wait_for_function("t => document.querySelector('h1.rp-title').innerText !== t", arg=title,
                               timeout=60_000)
        page.wait_for_timeout(1500)  # the slide's charts draw
    assert titles[:3] == ["淄川区红色物业建设推进情况", "考核排名", "未完成第三阶段目标的镇（街道）"]
    assert titles[3] == "第1名 松龄路街道" and len(titles) == 16  # then one slide per town
    page.close()


def test_the_login_page_asks_for_a_name_and_password(server, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page.goto(server, wait_until="networkidle")
    page.wait_for_selector("input[aria-label='密码']", timeout=60_000)
    assert "红色物业建设推进看板" in page.inner_text("[data-testid='stMain'] h1")
    assert not page.query_selector("[data-testid='stSidebarNav']")  # nothing else before signing in
    page.fill("input[aria-label='用户名']", ADMIN)
    page.fill("input[aria-label='密码']", "wrong-password")
    page.get_by_role("button", name="登录").click()
    page.wait_for_selector("text=用户名或密码不正确", timeout=60_000)
    page.screenshot(path=SHOTS / "login_1366x768.png")
    sign_in(page)
    assert f"当前用户：{ADMIN}（区级管理员）" in page.inner_text("[data-testid='stSidebar']")
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_selector("text=您已退出登录", timeout=60_000)
    page.close()
