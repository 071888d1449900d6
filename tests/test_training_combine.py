"""nichelm-train append-records: one data file plus one source's records from another build."""

import json

import pytest
from nichelm.training.cli import main
from nichelm.training.combine import append_records


def _rec(db, q, source=None):
    r = {"messages": [{"role": "user", "content": q}], "db_id": db, "question": q}
    if source:
        r["source"] = source
    return json.dumps(r) + "\n"


@pytest.fixture
def files(tmp_path):
    base = tmp_path / "v2.jsonl"
    base.write_text(_rec("concert_singer", "How many singers?") + _rec("pets_1", "How many pets?"))
    (tmp_path / "v2.val.jsonl").write_text(_rec("climbing", "How many climbers?"))
    other = tmp_path / "build.jsonl"
    other.write_text(_rec("pets_1", "How many pets?") + _rec("hierarchy_forum_1", "Which boards are top level?",
                                                             "hierarchy")
                     + _rec("concert_singer", "Name the stadiums.", "augment")
                     + _rec("hierarchy_library_2", "Which sections hold no books?", "hierarchy"))
    return base, other, tmp_path


def test_appends_only_the_source_records_after_the_base_lines_unchanged(files):
    base, other, d = files
    report = append_records(base, other, "hierarchy", d / "v8.jsonl")
    lines = (d / "v8.jsonl").read_text().splitlines(keepends=True)
    assert lines[:2] == base.read_text().splitlines(keepends=True)
    assert [json.loads(x)["db_id"] for x in lines[2:]] == ["hierarchy_forum_1", "hierarchy_library_2"]
    assert (d / "v8.val.jsonl").read_text() == (d / "v2.val.jsonl").read_text()
    assert report["added"] == 2 and report["records"] == 4 and len(report["sha256"]) == 64


def test_refuses_a_source_with_no_records_and_records_already_present(files):
    base, other, d = files
    with pytest.raises(ValueError, match="no record with source 'nope'"):
        append_records(base, other, "nope", d / "x.jsonl")
    clash = d / "clash.jsonl"
    clash.write_text(_rec("pets_1", "How many pets?", "hierarchy"))
    with pytest.raises(ValueError, match="already in"):
        append_records(base, clash, "hierarchy", d / "x.jsonl")
    assert not (d / "x.jsonl").exists()


def test_cli_writes_a_report_and_never_overwrites_an_input(files, capsys):
    base, other, d = files
    assert main(["append-records", str(base), str(other), "--out", str(d / "v8.jsonl")]) == 0
    assert json.loads((d / "v8.jsonl.report.json").read_text())["added"] == 2
    before = base.read_text()
    assert main(["append-records", str(base), str(other), "--out", str(base)]) == 2
    assert "would overwrite an input" in capsys.readouterr().err
    assert base.read_text() == before
