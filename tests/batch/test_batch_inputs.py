"""The inputs file of a batch: every format, every bad line named, nothing run on bad input."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from escalatui.batch.inputs import InputsError, content_id, in_shard, parse_shard, read_inputs


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def test_jsonl_strings_and_objects_with_fields(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "in.jsonl",
        '"what is 2+2?"\n\n{"id": "q2", "input": "and 3+3?", "lang": "fr", "n": 3}\n',
    )
    items = read_inputs(path)
    assert [i.input for i in items] == ["what is 2+2?", "and 3+3?"]
    assert items[0].id == content_id("what is 2+2?")
    assert items[1].id == "q2"
    assert items[1].fields == {"lang": "fr", "n": "3"}
    assert [i.line for i in items] == [1, 3]


def test_jsonl_every_bad_line_is_reported_with_its_number(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "in.jsonl",
        '"ok"\n{not json\n42\n{"id": "a"}\n{"input": 7}\n' + "[" * 100_000 + "\n",
    )
    with pytest.raises(InputsError) as info:
        read_inputs(path)
    lines = [p.line for p in info.value.problems]
    assert lines == [2, 3, 4, 5, 6]
    text = str(info.value)
    assert "line 2: not JSON" in text and 'line 4: an object needs an "input" key' in text


def test_duplicate_given_ids_are_an_error_but_repeated_inputs_are_numbered(
    tmp_path: Path,
) -> None:
    with pytest.raises(InputsError, match="id 'a' again"):
        read_inputs(write(tmp_path, "a.jsonl", '{"id":"a","input":"x"}\n{"id":"a","input":"y"}\n'))
    items = read_inputs(write(tmp_path, "b.txt", "same\nother\nsame\n"))
    assert [i.id for i in items] == [
        content_id("same"),
        content_id("other"),
        content_id("same") + "-2",
    ]


def test_csv_with_input_column_or_another_named_one(tmp_path: Path) -> None:
    path = write(tmp_path, "in.csv", '\ufeffid,input,topic\n1,"multi\nline",math\n2,plain,art\n')
    items = read_inputs(path)
    assert [(i.id, i.input, i.fields) for i in items] == [
        ("1", "multi\nline", {"topic": "math"}),
        ("2", "plain", {"topic": "art"}),
    ]
    with pytest.raises(InputsError, match="no 'input' column"):
        read_inputs(write(tmp_path, "q.csv", "question\nwhy?\n"))
    assert read_inputs(write(tmp_path, "q2.csv", "question\nwhy?\n"), "question")[0].input == "why?"


def test_csv_row_with_wrong_field_count(tmp_path: Path) -> None:
    with pytest.raises(InputsError, match="line 3: 3 fields, the header has 2"):
        read_inputs(write(tmp_path, "in.csv", "id,input\n1,a\n2,b,c\n"))


def test_txt_keeps_unicode_line_separators_inside_an_input(tmp_path: Path) -> None:
    items = read_inputs(write(tmp_path, "in.txt", "a\u2028b\r\nc\n"))
    assert [i.input for i in items] == ["a\u2028b", "c"]


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("in.yaml", "x", "unknown format"),
        ("in.txt", "", "no inputs"),
        ("in.txt", b"caf\xe9\n", "line 1: byte 0xe9 is not UTF-8"),
    ],
)
def test_unusable_files(tmp_path: Path, name: str, data: str | bytes, message: str) -> None:
    with pytest.raises(InputsError, match=message):
        read_inputs(write(tmp_path, name, data))


def test_special_files_are_refused_without_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "in.txt"
    os.mkfifo(fifo)
    with pytest.raises(InputsError, match="not a regular file"):
        read_inputs(fifo)
    link = tmp_path / "zero.txt"
    link.symlink_to("/dev/zero")
    with pytest.raises(InputsError, match="not a regular file"):
        read_inputs(link)
    with pytest.raises(InputsError, match="cannot read"):
        read_inputs(tmp_path / "missing.jsonl")


def test_shards_split_every_item_exactly_once() -> None:
    ids = [f"item-{i}" for i in range(1000)]
    shards = [[i for i in ids if in_shard(i, (k, 4))] for k in range(1, 5)]
    assert sorted(sum(shards, [])) == sorted(ids)
    assert all(200 < len(s) < 300 for s in shards)  # spread, not all in one
    assert parse_shard("2/4") == (2, 4)
    for bad in ("0/4", "5/4", "x", "1/0", "-1/2"):
        with pytest.raises(ValueError, match="--shard takes K/N"):
            parse_shard(bad)
