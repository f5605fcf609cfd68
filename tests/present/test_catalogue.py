"""The README's technique table is the catalogue: generated from it, and checked against it here."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from graphiam.policy.techniques import TECHNIQUES, Permission, Technique
from graphiam.present import catalogue
from graphiam.present.catalogue import (
    END_MARKER,
    START_MARKER,
    MarkersNotFound,
    catalogue_block,
    catalogue_table,
    main,
    permissions_cell,
    readme_block,
    replace_block,
    short_note,
)

README = Path(__file__).resolve().parents[2] / "README.md"
REGENERATE = "python -m graphiam.present.catalogue --write README.md"


def cells(row: str) -> list[str]:
    """The cells of one Markdown table row (``\\|`` is a pipe inside a cell)."""
    assert row.startswith("| ") and row.endswith(" |"), row
    return [cell.replace("\\|", "|") for cell in re.split(r"(?<!\\) \| ", row[2:-2])]


def test_the_readme_block_is_the_generated_catalogue():
    block = readme_block(README.read_text(encoding="utf-8"))
    assert block == catalogue_block(), (
        f"the README's technique table differs from graphiam/policy/techniques.py: run `{REGENERATE}`")


def test_the_readme_block_ends_with_the_table_under_its_paragraph():
    block = readme_block(README.read_text(encoding="utf-8"))
    paragraph, table = block.split("\n\n", 1)
    assert table == catalogue_table(), f"run `{REGENERATE}`"
    assert "graphiam/policy/techniques.py" in paragraph and "tests/present/test_catalogue.py" in paragraph
    assert "\n" not in paragraph


def test_the_table_has_a_row_per_technique_with_every_column():
    rows = catalogue_table().splitlines()
    assert cells(rows[0]) == list(catalogue.HEADER)
    assert set(cells(rows[1])) == {"---"}
    body = rows[2:]
    assert len(body) == len(TECHNIQUES)
    for row, entry in zip(body, TECHNIQUES):
        values = cells(row)
        assert len(values) == len(catalogue.HEADER), row
        assert values[0] == f"`{entry.id}`"
        assert values[1] == (entry.pathfinding or "-")
        assert values[2].startswith(f"`{entry.kind}`")
        assert values[4] == (f"`{entry.service}`" if entry.service else "-")
        assert values[5] == (short_note(entry.note) or "-")


def test_pass_techniques_show_pass_role_first_and_every_action():
    for entry in TECHNIQUES:
        shown = permissions_cell(entry)
        actions = re.findall(r"`([^`]+)`", shown)
        if entry.kind == "pass_role":
            assert actions[0] == "iam:PassRole", entry.id
        else:
            assert "iam:PassRole" not in actions, entry.id
        for permission in entry.permissions + tuple(p for option in entry.one_of for p in option):
            assert permission.action in actions, (entry.id, permission.action)


def test_alternatives_and_instance_profiles_are_spelled_out():
    notebook = next(entry for entry in TECHNIQUES if entry.one_of)
    shown = permissions_cell(notebook)
    assert "; one of: " in shown
    options = shown.split("; one of: ", 1)[1].split(" or ")
    assert len(options) == len(notebook.one_of)
    ec2 = next(entry for entry in TECHNIQUES if entry.instance_profile)
    assert "`iam:CreateInstanceProfile` + `iam:AddRoleToInstanceProfile`" in permissions_cell(ec2)


def test_users_only_and_roles_only_techniques_say_so():
    for entry in TECHNIQUES:
        kind = cells(catalogue_table([entry]).splitlines()[2])[2]
        assert kind == {"user": f"`{entry.kind}` (users only)", "role": f"`{entry.kind}` (roles only)"}.get(
            entry.caller, f"`{entry.kind}`")


def test_a_pipe_in_a_note_does_not_break_the_row():
    entry = Technique("x-pipe", "A | B", "self", (Permission("iam:PutUserPolicy", "{principal}"),),
                      note="Either a | b. Then more.")
    row = catalogue_table([entry]).splitlines()[2]
    assert "a \\| b." in row
    assert cells(row)[5] == "Either a | b."


@pytest.mark.parametrize(("note", "first"), [
    ("", ""),
    ("One sentence.", "One sentence."),
    ("One sentence without a stop", "One sentence without a stop"),
    ("First. Second.", "First."),
    ("A role, e.g. this one, then. Second.", "A role, e.g. this one, then."),
    ("Names ec2.amazonaws.com here. Then more.", "Names ec2.amazonaws.com here."),
    ("Spread\n   over lines. Next.", "Spread over lines."),
])
def test_short_note_is_the_first_sentence(note, first):
    assert short_note(note) == first


def test_the_paragraph_counts_the_techniques_by_kind():
    paragraph = catalogue_block().split("\n\n", 1)[0]
    assert paragraph.startswith(f"{len(TECHNIQUES)} techniques (")
    for kind in ("pass_role", "rewrite_trust", "takeover", "self"):
        count = sum(entry.kind == kind for entry in TECHNIQUES)
        assert f"{count} `{kind}`" in paragraph


def test_replace_block_touches_only_the_text_between_the_markers():
    text = f"# Title\n\nBefore.\n\n{START_MARKER}\nold table\n{END_MARKER}\n\nAfter.\n"
    updated = replace_block(text, "new\n\nblock")
    assert updated == f"# Title\n\nBefore.\n\n{START_MARKER}\nnew\n\nblock\n{END_MARKER}\n\nAfter.\n"
    assert readme_block(updated) == "new\n\nblock"
    assert replace_block(updated, "new\n\nblock") == updated
    empty = f"{START_MARKER}\n{END_MARKER}\n"
    assert readme_block(empty) == ""
    assert readme_block(replace_block(empty, "x")) == "x"


@pytest.mark.parametrize("text", [
    "no markers at all",
    f"{START_MARKER} only the start",
    f"{END_MARKER} then {START_MARKER}",
    f"{START_MARKER}\n{END_MARKER}\n{START_MARKER}\n{END_MARKER}\n",
])
def test_missing_or_misplaced_markers_are_refused(text):
    with pytest.raises(MarkersNotFound):
        readme_block(text)
    with pytest.raises(MarkersNotFound):
        replace_block(text, "x")


def test_main_prints_the_block(capsys):
    assert main([]) == 0
    assert capsys.readouterr().out == catalogue_block() + "\n"


def test_main_writes_the_block_in_place_and_keeps_the_rest(tmp_path, capsys):
    target = tmp_path / "README.md"
    target.write_text(f"# Doc\n\n{START_MARKER}\nstale\n{END_MARKER}\n\n## Next\n", encoding="utf-8")
    assert main(["--write", str(target)]) == 0
    text = target.read_text(encoding="utf-8")
    assert text.startswith(f"# Doc\n\n{START_MARKER}\n") and text.endswith(f"\n{END_MARKER}\n\n## Next\n")
    assert readme_block(text) == catalogue_block()
    assert "wrote" in capsys.readouterr().err
    assert main(["--write", str(target)]) == 0
    assert "up to date" in capsys.readouterr().err
    assert target.read_text(encoding="utf-8") == text


def test_main_refuses_a_file_without_markers(tmp_path, capsys):
    target = tmp_path / "README.md"
    target.write_text("# Doc\n", encoding="utf-8")
    assert main(["--write", str(target)]) == 2
    assert "error" in capsys.readouterr().err
    assert target.read_text(encoding="utf-8") == "# Doc\n"
    assert main(["--write", str(tmp_path / "missing.md")]) == 2


def test_the_module_runs_from_the_command_line():
    done = subprocess.run([sys.executable, "-m", "graphiam.present.catalogue"], capture_output=True, text=True,
                          check=True, cwd=README.parent)
    assert done.stdout == catalogue_block() + "\n"
