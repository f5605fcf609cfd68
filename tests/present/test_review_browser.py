"""The diff map (graphiam.diff(old, new).map()) opened in chromium with the network blocked (see test_map_browser)."""

from __future__ import annotations

from pathlib import Path

import graphiam
from builders import Org, allow, role_arn, trust_arn, user_arn
from graphiam.present.map import ADDED_GREEN

from .test_map_browser import OpenedMap, browser, hex_rgb, near, pixels  # noqa: F401 (browser is a fixture)

DEV, PROD = "222222222222", "333333333333"
ALICE, BOB = user_arn(DEV, "alice"), user_arn(DEV, "bob")
CI, ADMIN = role_arn(DEV, "CI"), role_arn(PROD, "ProdAdmin")


def org(admin_trusts) -> Org:
    built = Org(management="111111111111")
    built.account("111111111111")
    dev = built.account(DEV)
    dev.user("alice", allow("sts:AssumeRole", "*"))
    dev.user("bob", allow("sts:AssumeRole", CI))
    dev.role("CI", allow("sts:AssumeRole", "*"), trusts=trust_arn(BOB))
    built.account(PROD).role("ProdAdmin", allow("*", "*"), trusts=admin_trusts)
    built.full_access_everywhere()
    return built


def test_the_diff_map_in_chromium(browser, tmp_path: Path):
    change = graphiam.diff(graphiam.AccessGraph(org(trust_arn(ALICE)).snapshot()),
                           graphiam.AccessGraph(org([trust_arn(ALICE), trust_arn(CI)]).snapshot()))
    path = tmp_path / "diff.html"
    shown = change.map()
    shown.save(path)
    opened = OpenedMap(browser, path)
    try:
        assert opened.problems == [] and opened.requests == [] and opened.dialogs == []
        assert opened.js("() => graphiamMap.network.body.data.edges.length") == shown.edges
        assert opened.js("() => document.body.getAttribute('data-diff')") == "true"
        edge_id = f"{CI}|{ADMIN}|can_assume"
        drawn = opened.page.evaluate("""(id) => { const e = graphiamMap.network.body.edges[id];
            return {connected: e.connected, color: e.options.color.color, width: e.options.width,
                    point: e.edgeType.getPoint(0.3)}; }""", edge_id)
        assert drawn["connected"] and drawn["color"].lower() == ADDED_GREEN and drawn["width"] == 5
        # and it is on the screen, in green
        green = [p for p in pixels(opened, drawn["point"], 8) if near(p, hex_rgb(ADDED_GREEN), 50)]
        assert len(green) > 10, f"no green around the added edge ({len(green)} pixels)"
        legend = opened.page.locator("#graphiam-legend").inner_text()
        assert "added by the change" in legend and "removed by the change (drawn from the old snapshot)" in legend
        assert "the path asked for" not in legend  # no path was asked for
        panel = opened.page.locator("#graphiam-explanation")
        assert panel.is_visible()
        text = panel.text_content()  # as written (the headings are shown in capitals)
        assert "What the change opens" in text and "1 edge added, 0 removed, 2 paths opened" in text
        assert f"{BOB} \u2192 {CI} \u2192 {ADMIN}" in text
    finally:
        opened.close()
