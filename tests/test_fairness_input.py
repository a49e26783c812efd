"""Loading and validating uploaded outputs: every problem gets a message that names the column and rows."""

import re

import numpy as np
import pandas as pd
import pytest

from fairness import MISSING, InputError, audit


def write(tmp_path, text: str, name="outputs.csv", encoding="utf-8") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def table(n=200, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    return pd.DataFrame(
        {
            "outcome": y,
            "decision": np.where(rng.random(n) < 0.8, y, 1 - y),
            "group": rng.choice(["a", "b"], n),
            "score": rng.random(n),
        }
    )


def csv_of(df: pd.DataFrame, sep=",") -> str:
    return df.to_csv(index=False, sep=sep)


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_any_common_delimiter(tmp_path, sep):
    df = table()
    result = audit(
        write(tmp_path, csv_of(df, sep)), "outcome", "decision", sensitive_features="group", n_bootstrap=0
    )
    assert result.rows == 200
    expected = (df.loc[df.group == "a", "decision"] == 1).mean()
    assert abs(result.groups[0].metrics["selection_rate"] - expected) < 1e-12


def test_utf8_bom_and_latin1(tmp_path):
    df = table()
    df["group"] = np.where(df["group"] == "a", "Française", "Others")
    bom = audit(
        write(tmp_path, "\ufeff" + csv_of(df), "bom.csv"),
        "outcome",
        "decision",
        sensitive_features="group",
        n_bootstrap=0,
    )
    assert {g.group["group"] for g in bom.groups} == {"Française", "Others"}
    assert bom.warnings == []
    latin = audit(
        write(tmp_path, csv_of(df), "latin.csv", "latin-1"),
        "outcome",
        "decision",
        sensitive_features="group",
        n_bootstrap=0,
    )
    assert {g.group["group"] for g in latin.groups} == {"Française", "Others"}
    assert "read as Latin-1" in latin.warnings[0]


def test_parquet(tmp_path):
    df = table()
    path = tmp_path / "outputs.parquet"
    df.to_parquet(path)
    from_parquet = audit(str(path), "outcome", "decision", sensitive_features="group", n_bootstrap=0)
    from_frame = audit(df, "outcome", "decision", sensitive_features="group", n_bootstrap=0)
    assert from_parquet.to_dict()["groups"] == from_frame.to_dict()["groups"]


def test_pickle_is_never_loaded(tmp_path):
    path = tmp_path / "model.pkl"
    pd.DataFrame({"a": [1]}).to_pickle(path)
    with pytest.raises(InputError, match="not a text table"):
        audit(str(path), "outcome", "decision", sensitive_features="group")


def test_empty_file_and_header_only(tmp_path):
    with pytest.raises(InputError, match="The file is empty"):
        audit(write(tmp_path, ""), "outcome", "decision", sensitive_features="group")
    with pytest.raises(InputError, match="has a header but no rows"):
        audit(write(tmp_path, "outcome,decision,group\n"), "outcome", "decision", sensitive_features="group")


def test_missing_column_names_it_and_suggests(tmp_path):
    path = write(tmp_path, csv_of(table()))
    with pytest.raises(
        InputError, match=re.escape("There is no column 'Group' in the file. Did you mean 'group'?")
    ) as error:
        audit(path, "outcome", "decision", sensitive_features="Group")
    assert error.value.column == "Group"


def test_duplicate_header_is_an_error_only_when_picked(tmp_path):
    text = "outcome,decision,group,group\n" + "\n".join(f"{i % 2},{i % 2},a,b" for i in range(50))
    path = write(tmp_path, text)
    with pytest.raises(InputError, match=r"names 'group' 2 times \(columns 3, 4\)"):
        audit(path, "outcome", "decision", sensitive_features="group")
    text = "outcome,decision,group,note,note\n" + "\n".join(f"{i % 2},{i % 2},a,x,y" for i in range(50))
    assert (
        audit(
            write(tmp_path, text, "b.csv"), "outcome", "decision", sensitive_features="group", n_bootstrap=0
        ).rows
        == 50
    )


def test_non_binary_label_names_rows_and_count(tmp_path):
    df = table(60)
    df["outcome"] = df["outcome"].astype(str)
    bad_rows = [4, 9, 15, 20, 22, 30, 31, 33, 40, 41, 44, 50]
    for i in bad_rows:
        df.loc[i, "outcome"] = "2"
    with pytest.raises(InputError) as error:
        audit(write(tmp_path, csv_of(df)), "outcome", "decision", sensitive_features="group")
    message = str(error.value)
    assert "The outcome column 'outcome' must be binary" in message
    assert "12 rows (rows 6, 11, 17, 22, 24, 32, 33, 35, 42, 43 and 2 more)" in message
    assert error.value.rows == [i + 2 for i in bad_rows[:10]]
    assert error.value.count == 12


def test_text_labels_with_positive_value(tmp_path):
    df = table()
    df["outcome"] = np.where(df["outcome"] == 1, "reoffended", "did not")
    df["decision"] = np.where(df["decision"] == 1, "High", np.where(df.index % 2, "Medium", "Low"))
    path = write(tmp_path, csv_of(df))
    with pytest.raises(
        InputError,
        match=r"must be binary \(0/1, true/false or yes/no\), but it holds 'did not', 'reoffended'",
    ):
        audit(path, "outcome", "decision", sensitive_features="group")
    with pytest.raises(
        InputError, match="besides the positive value 'High' it has 2 others: 'Low', 'Medium'"
    ):
        audit(
            path,
            "outcome",
            "decision",
            sensitive_features="group",
            pos_label="reoffended",
            pred_pos_label="High",
        )
    result = audit(
        path,
        "outcome",
        "decision",
        sensitive_features="group",
        pos_label="reoffended",
        pred_pos_label="Medium,High",
        n_bootstrap=0,
    )
    assert (
        result.groups[0].counts["tp"] + result.groups[0].counts["fn"]
        == ((df.group == "a") & (df.outcome == "reoffended")).sum()
    )


def test_yes_no_and_true_false_need_no_positive_value(tmp_path):
    df = table()
    df["outcome"] = np.where(df["outcome"] == 1, "Yes", "No")
    df["decision"] = np.where(df["decision"] == 1, "true", "false")
    result = audit(
        write(tmp_path, csv_of(df)), "outcome", "decision", sensitive_features="group", n_bootstrap=0
    )
    assert (
        sum(g.counts["tp"] for g in result.groups) == ((df.outcome == "Yes") & (df.decision == "true")).sum()
    )


def test_positive_value_that_never_occurs(tmp_path):
    with pytest.raises(InputError, match="The positive value 'yes' never occurs in the outcome column"):
        audit(table(), "outcome", "decision", sensitive_features="group", pos_label="yes")


def test_score_must_be_numeric(tmp_path):
    df = table(40)
    df["score"] = df["score"].astype(str)
    df.loc[3, "score"] = "high"
    with pytest.raises(InputError, match=r"The score column 'score' must hold numbers; 1 row \(row 5\) do"):
        audit(
            write(tmp_path, csv_of(df)), "outcome", score="score", threshold=0.5, sensitive_features="group"
        )


def test_score_needs_a_threshold():
    with pytest.raises(InputError, match="A threshold is needed"):
        audit(table(), "outcome", score="score", sensitive_features="group")


def test_only_one_class(tmp_path):
    df = table()
    df["outcome"] = 0
    with pytest.raises(InputError, match="Every outcome in 'outcome' is negative"):
        audit(df, "outcome", "decision", sensitive_features="group")


def test_identifier_as_sensitive_column_is_refused():
    df = table(500)
    df["person_id"] = [f"id{i}" for i in range(500)]
    with pytest.raises(
        InputError, match="'person_id' has more than 100 distinct values; it looks like an identifier"
    ):
        audit(df, "outcome", "decision", sensitive_features="person_id")


def test_missing_sensitive_values_form_a_reported_group(tmp_path):
    df = table()
    df.loc[[1, 5, 7], "group"] = None
    result = audit(
        write(tmp_path, csv_of(df)), "outcome", "decision", sensitive_features="group", n_bootstrap=0
    )
    missing = [g for g in result.groups if g.group == {"group": MISSING}]
    assert len(missing) == 1 and missing[0].count == 3
    assert result.rows == 200


def test_rows_missing_an_outcome_are_counted_and_left_out(tmp_path):
    df = table().astype({"outcome": "object"})
    df.loc[[0, 10], "outcome"] = None
    result = audit(
        write(tmp_path, csv_of(df)), "outcome", "decision", sensitive_features="group", n_bootstrap=0
    )
    assert result.rows == 198 and result.rows_read == 200
    assert result.rows_excluded == {"outcome": {"count": 2, "rows": [2, 12]}}
    assert "'outcome' is empty in 2 rows (rows 2, 12); those rows are left out" in result.warnings[0]


def test_unknown_reference_group():
    with pytest.raises(
        InputError, match=r"The reference group \{'group': 'zzz'\} does not occur in the data. a, b"
    ):
        audit(table(), "outcome", "decision", sensitive_features="group", reference={"group": "zzz"})
