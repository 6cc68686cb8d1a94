"""Files that cannot be read as TOML: each gets one clear message (file:line:col when there is
a position), never a traceback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from config_helpers import GOOD, problems, validate, write

from escalatui.config.reading import MAX_FILE_BYTES


def test_toml_syntax_error_names_line_and_column(tmp_path: Path, capsys) -> None:
    path = write(tmp_path, 'name = "t"\nchain = ["a"]\nretries = = 1\n')
    code, out, err = validate(capsys, path)
    assert code == 2 and out == ""
    assert err.startswith(f"{path}:3:11: TOML syntax: ")
    assert "(at line" not in err  # the position is moved to the front, not repeated


def test_toml_error_at_end_of_document_still_has_a_position(tmp_path: Path) -> None:
    path = write(tmp_path, 'name = "t"\nsteps =')
    [problem] = problems(path)
    assert problem.startswith("2:8: TOML syntax: ")
    assert "end of document" not in problem


def test_duplicate_key_is_a_syntax_error_with_position(tmp_path: Path) -> None:
    path = write(tmp_path, 'name = "a"\nname = "b"\n')
    [problem] = problems(path)
    assert problem.startswith("2:") and "TOML syntax" in problem


def test_utf8_bom_is_named(tmp_path: Path, capsys) -> None:
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    code, _, err = validate(capsys, path)
    assert code == 2
    assert f"{path}:1:1:" in err and "byte-order mark" in err


def test_latin1_bytes_give_line_and_column(tmp_path: Path, capsys) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(b'name = "t"\ndescription = "caf\xe9"\n')
    code, _, err = validate(capsys, path)
    assert code == 2
    assert f"{path}:2:19: byte 0xe9 is not UTF-8" in err


def test_huge_file_is_refused_before_parsing(tmp_path: Path, capsys) -> None:
    path = tmp_path / "huge.toml"
    path.write_text(GOOD + "# padding\n" * (MAX_FILE_BYTES // 10 + 1))
    assert path.stat().st_size > 1_000_000
    code, _, err = validate(capsys, path)
    assert code == 2
    assert "larger than 1,000,000 bytes" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "body",
    [
        "a = " + "[" * 100_000 + "]" * 100_000,
        "a = " + "{b = " * 5_000 + "1" + "}" * 5_000,
        "[" + ".".join(["t"] * 3_000) + "]\nx = 1",
    ],
    ids=["arrays", "inline-tables", "dotted-table"],
)
def test_deep_nesting_is_a_message_not_a_recursion_error(tmp_path: Path, capsys, body: str) -> None:
    path = write(tmp_path, body + "\n")
    code, _, err = validate(capsys, path)
    assert code == 2
    assert str(path) in err and "Traceback" not in err


def test_missing_file(tmp_path: Path, capsys) -> None:
    code, out, err = validate(capsys, tmp_path / "nope.toml")
    assert code == 2 and out == ""
    assert "nope.toml: cannot read file: No such file or directory" in err


def test_directory_instead_of_file(tmp_path: Path, capsys) -> None:
    (tmp_path / "dir.toml").mkdir()
    code, _, err = validate(capsys, tmp_path / "dir.toml")
    assert code == 2 and "cannot read file: Is a directory" in err


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file(tmp_path: Path, capsys) -> None:
    path = write(tmp_path, GOOD)
    path.chmod(0)
    code, _, err = validate(capsys, path)
    assert code == 2 and "cannot read file: Permission denied" in err


def test_not_a_table_at_top_level_is_impossible_but_empty_file_is_reported(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "")
    assert problems(path) == ["name: required key is missing", "steps: required key is missing"]


@pytest.mark.parametrize(
    ("text", "where", "what"),
    [
        # tomllib says "end of document" for these: the opening line is what helps.
        ('name = "t"\nsystem = """\nBe brief.\n\n[models.a]\nprovider = "sim"\n', "2:10", '"""'),
        ("name = 't'\nsystem = '''\nBe brief.\n", "2:10", "'''"),
        ('name = "t"\nchain = [\n  "a",\n  "b"\n\n[models.a]\nprovider = "sim"\n', "2:9", "array"),
        # tomllib points at a later line here.
        ('chain = ["a", "b"\nretries = 1\n[models.a]\n', "1:9", "array"),
    ],
)
def test_unclosed_construct_points_at_the_line_where_it_opened(
    tmp_path: Path, text: str, where: str, what: str
) -> None:
    [problem] = problems(write(tmp_path, text))
    assert problem.startswith(f"{where}: TOML syntax: ")
    assert what in problem and "opened here is never closed" in problem


@pytest.mark.parametrize(
    "text",
    [
        "x = [\n  1\n  2\n]\n",  # a missing comma: the array is closed, the parser's line is right
        's = "abc\nb = 1\n',  # a single-line string ends at its line, where tomllib points
        'a = "x]"\n[[t]]\nb = [1, [2]] # [\nc = = 1\n',
    ],
)
def test_parser_position_kept_when_nothing_is_left_open(tmp_path: Path, text: str) -> None:
    [problem] = problems(write(tmp_path, text))
    assert "opened here" not in problem
