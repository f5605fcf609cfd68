"""Access maps opened in a real browser: Debian's chromium driven by Playwright, with the network blocked.

Skipped (with the reason) only where chromium or the playwright package is
not installed; `.ci/run` installs both.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

pytest.importorskip("pyvis", reason="the map extra (pyvis) is not installed")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
CHROMIUM = os.environ.get("GRAPHIAM_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    pytest.skip(f"no chromium at {CHROMIUM} (apt-get install chromium)", allow_module_level=True)

import graphiam
from graphiam.present.map import MapOptions, write_map
from .test_map import PAYLOAD, hostile_org

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample-org"
FLAGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()


class OpenedMap:
    def __init__(self, browser, path: Path):
        self.context = browser.new_context(viewport={"width": 1400, "height": 900})
        self.requests: list[str] = []
        self.problems: list[str] = []
        self.dialogs: list[str] = []

        def route(route):
            url = route.request.url
            if url.startswith("file://"):
                route.continue_()
            else:  # nothing may leave the machine: record it, refuse it
                self.requests.append(url)
                route.abort()

        self.context.route("**/*", route)
        self.page = self.context.new_page()
        self.page.on("console", lambda message: message.type in ("error", "warning") and self.problems.append(message.text))
        self.page.on("pageerror", lambda error: self.problems.append(str(error)))
        self.page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))
        self.page.goto(path.as_uri())
        self.page.wait_for_selector("body[data-stabilized=true]", state="attached", timeout=60_000)

    def js(self, expression: str):
        return self.page.evaluate(expression)

    def close(self):
        self.context.close()


def test_sample_map_in_chromium(browser, tmp_path: Path):
    access = graphiam.load(SAMPLE)
    path = tmp_path / "access-map.html"
    summary = write_map(access.graph, access.snapshot, path, MapOptions(), access.path("grace", "AppConfig"))
    opened = OpenedMap(browser, path)
    try:
        assert opened.problems == []
        assert opened.requests == []
        # vis-network drew what the file holds
        assert opened.js("() => graphiamMap.network.body.data.nodes.length") == summary.nodes
        assert opened.js("() => graphiamMap.network.body.data.edges.length") == summary.edges
        assert opened.js("() => Object.keys(graphiamMap.network.body.nodes).length") >= summary.nodes
        # the path is highlighted and explained
        assert opened.js("() => graphiamMap.edges.get({filter: e => e.onPath}).length") == 3
        assert opened.page.locator("#graphiam-explanation").is_visible()
        assert "REACHABLE" in opened.page.locator("#graphiam-explanation .verdict").inner_text()
        # physics stopped after stabilising
        assert opened.js("() => graphiamMap.network.physics.physicsEnabled") is False
        # the search box finds a node and selects it
        opened.page.fill("#graphiam-search-input", "AppConfig")
        opened.page.press("#graphiam-search-input", "Enter")
        assert opened.page.locator("#graphiam-search-status").inner_text() == "1 match"
        assert opened.js("() => graphiamMap.network.getSelectedNodes()") == ["arn:aws:iam::333333333333:role/AppConfig"]
        # a person can look at it
        shot = tmp_path / "access-map.png"
        opened.page.screenshot(path=str(shot))
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    finally:
        opened.close()


def test_missing_path_panel_shows_blockers_and_fix(browser, tmp_path: Path):
    access = graphiam.load(SAMPLE)
    path = tmp_path / "why.html"
    write_map(access.graph, access.snapshot, path, MapOptions(), access.path("alice", "arn:aws:iam::333333333333:role/Deploy"))
    opened = OpenedMap(browser, path)
    try:
        panel = opened.page.locator("#graphiam-explanation").inner_text()
        assert "NOT REACHABLE" in panel and "trust, implicit deny" in panel
        assert '"AWS": "arn:aws:iam::222222222222:user/alice"' in opened.page.locator("pre.fix").inner_text()
        assert opened.problems == [] and opened.requests == []
    finally:
        opened.close()


def test_hostile_snapshot_strings_do_not_execute(browser, tmp_path: Path):
    access = graphiam.AccessGraph(hostile_org().snapshot())
    path = tmp_path / "hostile.html"
    write_map(access.graph, access.snapshot, path, MapOptions(),
              access.path("arn:aws:iam::222222222222:user/mallory", "arn:aws:iam::333333333333:role/Other"))
    opened = OpenedMap(browser, path)
    try:
        assert opened.dialogs == []
        assert opened.js("() => document.querySelectorAll('img').length") == 0
        # shown as text where it lands: in the tooltip of the node and in the panel
        title = opened.js("() => graphiamMap.nodes.get('arn:aws:iam::222222222222:user/mallory').title.textContent")
        assert PAYLOAD in title
        # hover the node so its tooltip is built into the page: still no element from the payload
        position = opened.js("() => graphiamMap.network.canvasToDOM("
                             "graphiamMap.network.getPositions(['arn:aws:iam::222222222222:user/mallory'])"
                             "['arn:aws:iam::222222222222:user/mallory'])")
        box = opened.page.locator("#graphiam-network canvas").bounding_box()
        opened.page.mouse.move(box["x"] + position["x"], box["y"] + position["y"])
        opened.page.wait_for_timeout(400)
        assert opened.js("() => document.querySelectorAll('img').length") == 0
        assert opened.dialogs == [] and opened.requests == []
    finally:
        opened.close()
