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
    def __init__(self, browser, path: Path, viewport: dict | None = None):
        self.context = browser.new_context(viewport=viewport or {"width": 1400, "height": 900})
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


# -- issue 12: the missing path drawn, the panel beside the canvas, search in a path view, stable colours -----

ALICE = "arn:aws:iam::222222222222:user/alice"
DEPLOY = "arn:aws:iam::333333333333:role/Deploy"
RED = (0xd6, 0x27, 0x28)

# the pixels of the canvas in a box around a point of the network (canvas coordinates), as [r, g, b, a, ...]
PIXELS_AROUND = """([x, y, half]) => {
  const network = graphiamMap.network;
  const dom = network.canvasToDOM({x: x, y: y});
  const canvas = document.querySelector('#graphiam-network canvas');
  const ratio = canvas.width / canvas.clientWidth;
  const context = canvas.getContext('2d');
  const size = Math.max(1, Math.round(2 * half * ratio));
  return Array.from(context.getImageData(Math.round((dom.x - half) * ratio), Math.round((dom.y - half) * ratio),
                                         size, size).data);
}"""


def pixels(opened: OpenedMap, point: dict, half: float) -> list[tuple[int, int, int]]:
    data = opened.page.evaluate(PIXELS_AROUND, [point["x"], point["y"], half])
    return [tuple(data[i:i + 3]) for i in range(0, len(data), 4)]


def near(colour: tuple[int, int, int], wanted: tuple[int, int, int], tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(colour, wanted))


def hex_rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def open_map(browser, tmp_path: Path, name: str, options: MapOptions = MapOptions(), path=None, viewport=None):
    access = graphiam.load(SAMPLE)
    out = tmp_path / f"{name}.html"
    write_map(access.graph, access.snapshot, out, options, access.path(*path) if path else None)
    return OpenedMap(browser, out, viewport)


def test_a_missing_path_is_drawn_as_a_red_dashed_edge_with_its_label(browser, tmp_path: Path):
    opened = open_map(browser, tmp_path, "missing", path=("alice", DEPLOY))
    try:
        edge_id = f"{ALICE}|{DEPLOY}|denied"
        edge = opened.page.evaluate("(id) => graphiamMap.edges.get(id)", edge_id)
        assert edge["from"] == ALICE and edge["to"] == DEPLOY and edge["denied"] is True
        drawn = opened.page.evaluate("""(id) => { const e = graphiamMap.network.body.edges[id];
            return {connected: e.connected, dashes: e.options.dashes, color: e.options.color.color,
                    label: e.options.label, point: e.edgeType.getPoint(0.5)}; }""", edge_id)
        assert drawn["connected"] and drawn["dashes"] and drawn["color"].lower() == "#d62728"
        assert drawn["label"] == "denied: trust"  # the label of the gap is always placed
        # and it is on the screen, in red: the label's text is painted around the edge's middle
        red = [p for p in pixels(opened, drawn["point"], 40) if near(p, RED, 60)]
        assert len(red) > 30, f"no red around the denied edge's label ({len(red)} pixels)"
        # the roles alice reaches are drawn in full colour
        assert opened.js("() => graphiamMap.nodes.get('arn:aws:iam::333333333333:role/BreakGlass').opacity") == 1
        legend = opened.page.locator("#graphiam-legend").inner_text()
        assert "denied (label: the layers that block it)" in legend
        assert opened.problems == [] and opened.requests == []
    finally:
        opened.close()


def overlap(a: dict, b: dict) -> bool:
    return a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"] and \
        a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"]


@pytest.mark.parametrize("viewport", [{"width": 1400, "height": 900}, {"width": 1000, "height": 700},
                                      {"width": 700, "height": 900}, {"width": 480, "height": 800}],
                         ids=["wide", "laptop", "narrow", "phone"])
def test_the_side_panel_does_not_cover_the_canvas(browser, tmp_path: Path, viewport):
    opened = open_map(browser, tmp_path, "panel", path=("alice", DEPLOY), viewport=viewport)
    try:
        canvas = opened.page.locator("#graphiam-network canvas").bounding_box()
        panel = opened.page.locator("aside").bounding_box()
        assert canvas["width"] > 200 and canvas["height"] > 200
        assert not overlap(canvas, panel), (canvas, panel)
        # the page does not scroll sideways, and the panel's long ARNs wrap inside it
        assert opened.js("() => document.documentElement.scrollWidth <= window.innerWidth")
        assert opened.js("() => { const a = document.querySelector('aside'); return a.scrollWidth <= a.clientWidth; }")
        # every node of the view that is on the screen is drawn where the panel is not
        positions = opened.js("""() => { const n = graphiamMap.network;
            return Object.values(n.getPositions()).map(p => n.canvasToDOM(p)); }""")
        for point in positions:
            x, y = canvas["x"] + point["x"], canvas["y"] + point["y"]
            inside_panel = panel["x"] <= x <= panel["x"] + panel["width"] and panel["y"] <= y <= panel["y"] + panel["height"]
            on_canvas = canvas["x"] <= x <= canvas["x"] + canvas["width"] and canvas["y"] <= y <= canvas["y"] + canvas["height"]
            assert not (inside_panel and on_canvas)
    finally:
        opened.close()


def test_search_highlights_the_found_node_in_a_path_view(browser, tmp_path: Path):
    opened = open_map(browser, tmp_path, "search", path=("grace", "AppConfig"))
    try:
        before = opened.page.evaluate("(id) => graphiamMap.nodes.get(id)", ALICE)
        assert before["opacity"] < 1 and not before["onPath"]  # dimmed: alice is not on grace's path
        opened.page.fill("#graphiam-search-input", "alice")
        opened.page.press("#graphiam-search-input", "Enter")
        assert opened.page.locator("#graphiam-search-status").inner_text() == "1 match"
        assert opened.js("() => graphiamMap.network.getSelectedNodes()") == [ALICE]
        found = opened.page.evaluate("(id) => graphiamMap.nodes.get(id)", ALICE)
        assert found["opacity"] == 1 and found["found"] is True and found["borderWidth"] >= 5
        assert found["color"]["border"] == "#111111" and found["shadow"]["enabled"] is True
        # focused: the view is centred on it
        centre = opened.page.evaluate("(id) => [graphiamMap.network.getViewPosition(), "
                                      "graphiamMap.network.getPositions([id])[id]]", ALICE)
        assert abs(centre[0]["x"] - centre[1]["x"]) < 1 and abs(centre[0]["y"] - centre[1]["y"]) < 1
        # and drawn in its account's full colour (a dimmed node would be a pale mix with white)
        opened.page.wait_for_timeout(200)
        fill = hex_rgb(found["color"]["background"])
        assert any(near(p, fill, 25) for p in pixels(opened, centre[1], 6)), fill
        # the next search restores it
        opened.page.fill("#graphiam-search-input", "AppConfig")
        opened.page.press("#graphiam-search-input", "Enter")
        again = opened.page.evaluate("(id) => graphiamMap.nodes.get(id)", ALICE)
        assert again["opacity"] == before["opacity"] and not again["found"]
        assert opened.js("() => graphiamMap.network.getSelectedNodes()") == ["arn:aws:iam::333333333333:role/AppConfig"]
        assert opened.problems == []
    finally:
        opened.close()


def test_an_account_has_the_same_colour_in_two_maps(browser, tmp_path: Path):
    from graphiam.present.map import account_colour

    seen = []
    for name, options in (("whole", MapOptions()), ("prod", MapOptions(accounts=("333333333333",))),
                          ("focus", MapOptions(focus="BreakGlass", depth=1))):
        opened = open_map(browser, tmp_path, name, options)
        try:
            seen.append(opened.js("""() => {
                const node = graphiamMap.nodes.get('arn:aws:iam::333333333333:role/BreakGlass');
                const swatches = {};
                document.querySelectorAll('#graphiam-legend li').forEach(li => {
                  const s = li.querySelector('.swatch');
                  if (s) { swatches[li.textContent.trim().split(' ')[0]] = getComputedStyle(s).backgroundColor; }
                });
                return [node.color.background, swatches['333333333333']]; }"""))
        finally:
            opened.close()
    red, green, blue = hex_rgb(account_colour("333333333333"))
    assert seen == [[account_colour("333333333333"), f"rgb({red}, {green}, {blue})"]] * 3, seen


def test_long_names_in_the_panel_wrap_inside_it(browser, tmp_path: Path):
    from builders import Org, allow, trust_account

    org = Org()
    long_name = "deploy-" + "x" * 90  # no place to break: only overflow-wrap:anywhere keeps it in the panel
    org.account("222222222222").user(long_name, allow("sts:AssumeRole", "*"))
    org.account("333333333333").role("Target", trusts=trust_account("444444444444"))
    access = graphiam.AccessGraph(org.snapshot())
    out = tmp_path / "long.html"
    write_map(access.graph, access.snapshot, out, MapOptions(),
              access.path(f"arn:aws:iam::222222222222:user/{long_name}", "arn:aws:iam::333333333333:role/Target"))
    opened = OpenedMap(browser, out)
    try:
        assert long_name in opened.page.locator("#graphiam-explanation").inner_text()
        assert opened.js("() => { const a = document.querySelector('aside'); return a.scrollWidth <= a.clientWidth; }")
        canvas = opened.page.locator("#graphiam-network canvas").bounding_box()
        assert not overlap(canvas, opened.page.locator("aside").bounding_box())
    finally:
        opened.close()
