"""Static access maps: the view of an interactive map drawn by Graphviz, as SVG or PNG.

:func:`write_static_map` draws the same view as :func:`.map.write_map` (the
same node selection, account colours, kinds, labels, the highlighted path and,
for a missing path, the denied direct request as a red dashed edge labelled
with the layers that block it), through the ``graphviz`` Python package and
Graphviz's ``dot`` program (Debian: ``apt-get install graphviz``; macOS:
``brew install graphviz``). The package is imported only here, when a static
map is asked for; a missing package or ``dot`` is a :class:`StaticMapError`
with one line saying what to install.

DOT safety: node identifiers are ``n0``, ``n1``, ... (an ARN's colons would
read as DOT ports); every string from the snapshot (names, ARNs, tags, Sids,
blockers' messages, the title) reaches DOT through :func:`dot_text`: control
and format characters shown escaped as the terminal shows them, backslashes
doubled (no ``\\N`` or ``\\l`` escapes), marked as not being an HTML label
(a name like ``<b>x</b>`` stays text), and quoted by the ``graphviz`` package
(which escapes ``"``). Graphviz itself escapes ``<`` and ``&`` in the SVG it writes.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import networkx as nx

from ..queries.answer import PathAnswer
from ..snapshot.model import Snapshot
from .files import write_atomically
from .map import (CONDITIONAL_ORANGE, DENIED, KIND_LABELS, PATH_RED, PLAIN_GREY, TECHNIQUE_PURPLE, MapOptions,
                  MapSummary, MapView, ViewEdge, ViewNode, map_view)
from .text import terminal_safe

FORMATS = ("svg", "png")
INSTALL_HINT = "install Graphviz: apt-get install graphviz (Debian/Ubuntu) or brew install graphviz (macOS)"
PNG_DPI = 110
FONT = "Helvetica"
RANKDIR = "LR"  # left to right: the ranks of an organization (users, hubs, targets) read as columns

# Graphviz's nearest shape to each kind's shape in the interactive map
DOT_SHAPES = {"user": "ellipse", "group": "box", "role": "diamond", "service": "triangle", "federated": "star",
              "account": "hexagon", "external_principal": "hexagon", "anyone": "hexagon"}
SMALL_SHAPES = {"triangle", "star", "hexagon"}  # drawn small, with the label beside them
DIMMED_ALPHA = "40"  # of a dimmed node's fill and a dimmed edge's colour (#rrggbbaa)


class StaticMapError(ValueError):
    """A static map cannot be drawn here (Graphviz missing, or ``dot`` failed): one line, for exit code 2."""


def dot_text(text: str, tooltip: bool = False) -> str:
    """``text`` as a DOT escString that shows exactly it: lines joined by DOT's ``\\n``, nothing special.

    Control and format characters are shown escaped (:func:`.text.terminal_safe`),
    backslashes are escaped (no ``\\N``, ``\\G`` or ``\\l`` sequence survives),
    and the value is marked as no HTML label, so the ``graphviz`` package quotes
    it (escaping ``"``) whatever it holds. Graphviz reads a ``tooltip`` through
    one more round of backslash escapes than a ``label``: a backslash is written
    as four there, as two in a label (``test_static_map`` checks both in the SVG).
    """
    import graphviz

    backslash = "\\" * (4 if tooltip else 2)
    lines = [terminal_safe(line, one_line=True).replace("\\", backslash) for line in str(text).split("\n")]
    return graphviz.nohtml("\\n".join(lines))


def _contrast(colour: str) -> str:
    """Black or white, whichever reads better on ``colour`` (``#rrggbb``), by its relative luminance."""
    red, green, blue = (int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (red, green, blue)]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "#000000" if luminance > 0.25 else "#ffffff"


def _node_attributes(node: ViewNode) -> dict[str, Any]:
    fill = node.colour + (DIMMED_ALPHA if node.dimmed else "")
    emphasised = node.highlighted or node.centre
    attributes = {
        "label": dot_text(node.label),
        "tooltip": dot_text(node.tooltip, tooltip=True),
        "shape": DOT_SHAPES.get(node.kind, "ellipse"),
        "style": "filled",
        "fillcolor": fill,
        "color": "#222222" if emphasised else (fill if node.dimmed else node.colour),
        "penwidth": "3" if emphasised else "1",
        "fontcolor": "#9a9a9a" if node.dimmed else _contrast(node.colour),
        "fontsize": "13" if emphasised else "11",
    }
    if attributes["shape"] in SMALL_SHAPES:  # a label inside a star or a triangle would blow it up: beside it
        attributes.update({"xlabel": attributes.pop("label"), "label": "", "fixedsize": "true", "width": "0.45",
                           "height": "0.4", "fontcolor": "#9a9a9a" if node.dimmed else "#111111"})
    return attributes


def _edge_attributes(edge: ViewEdge) -> dict[str, Any]:
    colour = edge.colour + (DIMMED_ALPHA if edge.dimmed else "")
    attributes = {
        "color": colour,
        "penwidth": f"{edge.width:g}",
        "tooltip": dot_text(edge.tooltip, tooltip=True),
        "arrowsize": "0.7",
        "fontsize": "10",
        "fontcolor": "#b0b0b0" if edge.dimmed else "#2b2b2b",
    }
    if edge.label:
        attributes["label"] = dot_text(edge.label)
    if edge.dashed:
        attributes["style"] = "dotted" if edge.edge_type == "can_escalate" else "dashed"
    if edge.edge_type == DENIED:
        attributes.update({"fontcolor": edge.colour, "fontsize": "13", "penwidth": "2.5", "style": "dashed",
                           "arrowhead": "normal", "arrowsize": "1"})
    return attributes


def static_map_graph(view: MapView, title: str = "graphiam access map"):
    """The view as a ``graphviz.Digraph`` (left to right), with a legend of the accounts shown."""
    try:
        import graphviz
    except ImportError as error:  # pragma: no cover - a core dependency; only a broken install lacks it
        raise StaticMapError(f"static maps need the graphviz Python package ({error}): pip install graphviz") from None
    dot = graphviz.Digraph("access_map")
    dot.attr("graph", rankdir=RANKDIR, splines="true", nodesep="0.25", ranksep="0.9", fontname=FONT, fontsize="16",
             labelloc="t", label=dot_text(title), tooltip=dot_text(title, tooltip=True), bgcolor="white", pad="0.3",
             outputorder="edgesfirst", forcelabels="true")
    dot.attr("node", fontname=FONT, width="0.3", height="0.3", margin="0.06,0.03")
    dot.attr("edge", fontname=FONT)
    ids = {node.id: f"n{index}" for index, node in enumerate(view.nodes)}
    for node in view.nodes:
        dot.node(ids[node.id], **_node_attributes(node))
    for edge in view.edges:
        dot.edge(ids[edge.source], ids[edge.target], **_edge_attributes(edge))
    _legend(dot, view)
    return dot


KIND_SIGNS = {"triangle": "\u25B2 ", "star": "\u2605 ", "hexagon": "\u2B22 "}
EDGE_SAMPLES = (  # (label, colour, style, width): the edge styles of the interactive map's legend
    ("can assume", PLAIN_GREY, "solid", "1.5"),
    ("can pass to a service", PLAIN_GREY, "dashed", "1.5"),
    ("only with a condition", CONDITIONAL_ORANGE, "solid", "1.5"),
    ("the path asked for", PATH_RED, "solid", "4"),
)


def _legend(dot, view: MapView) -> None:
    """A box at the left: the accounts shown with their colours, the kinds of node, the kinds of edge."""
    with dot.subgraph(name="cluster_legend") as legend:
        legend.attr(label="legend", fontsize="12", color="#cccccc", style="rounded", fontname=FONT)
        for index, (account, name, colour) in enumerate(view.accounts):
            legend.node(f"legend_account{index}", label=dot_text(account + (f" {name}" if name else "")), shape="box",
                        style="filled,rounded", fillcolor=colour, color=colour, fontcolor=_contrast(colour),
                        fontsize="10")
        for index, kind in enumerate(view.kinds):
            shape = DOT_SHAPES.get(kind, "ellipse")
            small = shape in SMALL_SHAPES
            legend.node(f"legend_kind{index}", label=dot_text(KIND_SIGNS.get(shape, "") + KIND_LABELS.get(kind, kind)),
                        shape="plaintext" if small else shape, style="filled", fillcolor="#ffffff" if small else "#eeeeee",
                        color="#999999", fontsize="9")
        samples = list(EDGE_SAMPLES)
        if view.denied_edge is not None:
            samples.append(("asked for, denied (label: the blocking layers)", PATH_RED, "dashed", "2.5"))
        if any(edge.edge_type == "can_escalate" for edge in view.edges):
            samples.append(("an escalation technique (label: its id)", TECHNIQUE_PURPLE, "dotted", "1.5"))
        for index, (label, colour, style, width) in enumerate(samples):
            start, end = f"legend_edge{index}a", f"legend_edge{index}b"
            legend.node(start, label="", shape="point", width="0.04", color="#999999")
            legend.node(end, label="", shape="point", width="0.04", color="#999999")
            legend.edge(start, end, label=dot_text(label), color=colour, style=style, penwidth=width, fontsize="9",
                        arrowsize="0.6")


def render_static_map(graph: nx.MultiDiGraph, snapshot: Snapshot, options: MapOptions = MapOptions(),
                      result: PathAnswer | None = None, format: str = "svg") -> tuple[bytes, MapSummary]:
    """The picture's bytes and what it holds.

    Raises :class:`StaticMapError` (Graphviz missing, or ``dot`` failed), and
    as :func:`.map.render_map` does :class:`.map.MapTooLarge` and
    :class:`.map.MapSelectionError`.
    """
    if format not in FORMATS:
        raise StaticMapError(f"format {format!r}: a static map is one of {', '.join(FORMATS)}")
    if shutil.which("dot") is None:
        raise StaticMapError(f"static maps need Graphviz's dot program, which is not on PATH: {INSTALL_HINT}")
    view = map_view(graph, snapshot, options, result)
    dot = static_map_graph(view, options.title)
    import graphviz

    if format == "png":
        dot.attr("graph", dpi=str(PNG_DPI))
    try:
        data = dot.pipe(format=format, engine="dot", quiet=True)
    except graphviz.ExecutableNotFound:
        raise StaticMapError(f"static maps need Graphviz's dot program, which is not on PATH: {INSTALL_HINT}") from None
    except graphviz.CalledProcessError as error:
        said = (error.stderr or b"").decode("utf-8", "replace").strip().splitlines()
        raise StaticMapError(terminal_safe(f"Graphviz's dot failed (exit {error.returncode})"
                                           + (f": {said[0]}" if said else ""), one_line=True)) from None
    return data, MapSummary(len(view.nodes), len(view.edges), result)


def write_static_map(graph: nx.MultiDiGraph, snapshot: Snapshot, output: str | Path,
                     options: MapOptions = MapOptions(), result: PathAnswer | None = None,
                     format: str = "svg") -> MapSummary:
    """:func:`render_static_map` written to ``output`` whole or not at all.

    Raises :class:`StaticMapError`, :class:`.map.MapTooLarge`,
    :class:`.map.MapSelectionError`, and ``OSError`` when ``output`` cannot be written.
    """
    data, summary = render_static_map(graph, snapshot, options, result, format)
    write_atomically(output, data)
    return summary
