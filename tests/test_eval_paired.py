"""nichelm-eval paired: two runs question by question."""

from __future__ import annotations

import json

from click.testing import CliRunner
from nichelm.eval.cli import main
from nichelm.eval.paired import pair, pair_by, sign_test


def rec(i, ok, sql="SELECT 1", shape="s1", repaired=False):
    return {"id": f"q{i}", "exec_match": ok, "pred_sql": sql, "meta": {"shape": shape},
            "extra": {"repaired": repaired}}


def test_sign_test_known_values():
    assert sign_test(0, 0) == 1.0
    assert sign_test(5, 0) == sign_test(0, 5) == 2 / 32
    assert abs(sign_test(11, 3) - 0.0574) < 1e-4
    assert sign_test(4, 4) == 1.0


def test_pair_counts_on_common_questions_only():
    a = [rec(1, True), rec(2, False), rec(3, True), rec(4, False)]
    b = [rec(1, True), rec(2, True, "SELECT 2", "s2"), rec(3, False, shape="s2"), rec(4, False), rec(9, True)]
    p = pair(a, b)
    assert (p.n, p.a_correct, p.b_correct, p.gained, p.lost, p.same_sql) == (4, 2, 2, ["q2"], ["q3"], 3)
    groups = pair_by(a, b, "shape")
    assert (groups["s2"].gained, groups["s2"].lost, groups["s1"].n) == (["q2"], ["q3"], 2)  # q9: B only
    # Without repair: a repaired answer is its failed first one.
    b[1]["extra"]["repaired"] = True
    assert pair(a, b, first_answers=True).gained == []


def test_paired_command(tmp_path):
    for name, recs in {"a": [rec(1, False), rec(2, True)], "b": [rec(1, True), rec(2, True)]}.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "predictions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs))
    out = CliRunner().invoke(main, ["paired", str(tmp_path / "a"), str(tmp_path / "b"), "--by", "shape"])
    assert out.exit_code == 0 and "2 questions in both: A 1 right, B 2 right; B gained 1, lost 0" in out.output
    assert "| s1 | 2 | 1 | 2 | 1 | 0 |" in out.output
    js = json.loads(CliRunner().invoke(main, ["paired", str(tmp_path / "a"), str(tmp_path / "b"), "--json"]).output)
    assert js["gained_ids"] == ["q1"] and js["sign_test_p"] == 1.0
    (tmp_path / "empty").mkdir()
    bad = CliRunner().invoke(main, ["paired", str(tmp_path / "empty"), str(tmp_path / "b")])
    assert bad.exit_code != 0 and "no predictions" in bad.output


def test_archived_runs_read_like_plain_ones(tmp_path):
    import gzip

    from nichelm.eval.runner import PREDICTIONS, RunError, read_predictions, rewrite_predictions, run

    recs = [rec(1, False), rec(2, True)]
    plain, packed = tmp_path / "plain", tmp_path / "packed"
    for d in (plain, packed):
        d.mkdir()
    (plain / PREDICTIONS).write_text("".join(json.dumps(r) + "\n" for r in recs))
    (packed / (PREDICTIONS + ".gz")).write_bytes(gzip.compress((plain / PREDICTIONS).read_bytes(), mtime=0))
    assert read_predictions(packed / PREDICTIONS) == read_predictions(plain / PREDICTIONS) == recs
    out = CliRunner().invoke(main, ["paired", str(plain), str(packed)])
    assert out.exit_code == 0 and "2 questions in both: A 1 right, B 1 right" in out.output
    # rewriting keeps the form: an archived run stays archived, with nothing left beside it
    rewrite_predictions(packed / PREDICTIONS, recs[:1])
    assert sorted(p.name for p in packed.iterdir()) == [PREDICTIONS + ".gz"]
    assert read_predictions(packed / PREDICTIONS) == recs[:1]
    # a new run into an archived directory would split its answers over two files: refused, nothing written
    try:
        run(None, None, packed)
    except RunError as exc:
        assert "archived" in str(exc) and "gunzip" in str(exc)
    else:
        raise AssertionError("a run into an archived directory was accepted")
    assert sorted(p.name for p in packed.iterdir()) == [PREDICTIONS + ".gz"]
