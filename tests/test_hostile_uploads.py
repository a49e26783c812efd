"""Hostile and broken uploads: each gets a message a person understands, costs bounded work, and no data is
changed silently. Checked through the library, `hria audit` (exit code 2) and the web (upload → mapping →
run)."""

import codecs
import os
import re
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import form_fields
from test_audit_web import outputs_csv, upload

from fairness import InputError, audit
from fairness.explain import explain
from fairness.sources import MAX_HEADER_BYTES, SAMPLE_BYTES, open_source, preview
from hria.cli import main
from hria.domain import jobs
from hria.domain.models import Evidence, FairnessAudit
from hria.extensions import db

LOOSE_SECONDS = 10  # before the fix a 10 MB header took a server thread for over 25 minutes


def rows_csv(n=120, sep=",") -> str:
    """outcome, decision, group: n well-formed rows."""
    return "\n".join(sep.join((str(i % 2), str(i % 3 % 2), "ab"[i % 2])) for i in range(n))


def write(tmp_path, content, name="outputs.csv") -> str:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return str(path)


def run_cli(path, *options):
    return CliRunner().invoke(main, ["audit", str(path), "--bootstrap", "0", *options])


def within(seconds, func):
    """func's result, computed on a real thread that must finish within ``seconds``."""
    outcome = {}

    def target():
        try:
            outcome["value"] = func()
        except BaseException as error:  # noqa: BLE001 - handed back to the test thread
            outcome["error"] = error

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"still working after {seconds} s"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def flashed_after(client, response) -> str:
    assert response.status_code == 302
    return client.get(response.headers["Location"]).get_data(as_text=True)


def audits_of(app, assessment_id) -> int:
    with app.app_context():
        return db.session.query(FairnessAudit).filter_by(assessment_id=assessment_id).count()


def start_audit(client, assessment_id, content: bytes, name="outputs.csv", **mapping):
    """Upload, open the mapping page and send it; returns (mapping page, response to the mapping)."""
    uploaded = upload(client, assessment_id, content, name)
    assert uploaded.status_code == 302, uploaded.get_data(as_text=True)
    url = uploaded.headers["Location"]
    page = client.get(url).get_data(as_text=True)
    assert "map the columns" in page, page[:2000]
    data = form_fields(page)
    data.update({"score": "", "min_group_size": "30", "confidence": "0.95", **mapping})
    return page, client.post(url, data=data)


def finished_audit(client, response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    jobs.wait_all(timeout=60)
    return client.get(response.headers["Location"]).get_data(as_text=True)


# 1. A header that repeats one name: found before pandas, named at once, refused when chosen.


def repeated_40_000_times(rows=40) -> str:
    """An 80 KB header: outcome, decision, group, then 'a' 40,000 times."""
    return (
        "outcome,decision,group,"
        + ",".join(["a"] * 40_000)
        + "\n"
        + "\n".join(row + ",1" * 40_000 for row in rows_csv(rows).split("\n"))
        + "\n"
    )


def test_repeated_names_are_named_at_once_and_refused_when_chosen(tmp_path):
    path = write(tmp_path, repeated_40_000_times())
    result = within(
        LOOSE_SECONDS, lambda: audit(path, "outcome", "decision", sensitive_features="group", n_bootstrap=0)
    )
    assert result.rows == 40
    assert result.warnings == [
        "The header repeats column names: 'a' 40,000 times (columns 4, 5, 6, 7, 8, …). "
        "Those columns cannot be chosen until the copies are renamed in the file."
    ]
    with pytest.raises(
        InputError,
        match=r"The header names 'a' 40,000 times \(columns 4, 5, 6, 7, 8, 9, 10, 11, 12, "
        r"13, …\), so it is not clear which one to use",
    ):
        within(LOOSE_SECONDS, lambda: audit(path, "outcome", "decision", sensitive_features="a"))
    chosen = run_cli(path, "--label", "outcome", "--prediction", "decision", "--sensitive", "a")
    assert chosen.exit_code == 2 and "Error: The header names 'a' 40,000 times" in chosen.output


def test_web_refuses_an_80_kb_header_of_one_name_at_once(app, client, world, auth):
    auth.login(world.users["procurer_a"])
    content = repeated_40_000_times(rows=3).encode()
    page = within(
        LOOSE_SECONDS, lambda: flashed_after(client, upload(client, world.assessments["a"], content))
    )
    assert (
        "The file cannot be audited: The file has 40,003 columns; the web form offers at most 1,000." in page
    )
    assert (
        "The header also repeats column names: &#39;a&#39; 40,000 times (columns 4, 5, 6, 7, 8, …)." in page
    )


def test_ten_megabyte_header_of_one_name_is_refused_within_seconds(app, client, world, auth):
    auth.login(world.users["procurer_a"])
    content = ",".join(["score"] * 2_000_000).encode() + b"\n1\n"  # 12 MB
    page = within(
        LOOSE_SECONDS, lambda: flashed_after(client, upload(client, world.assessments["a"], content))
    )
    assert (
        "The file cannot be audited: The first line of the file, which should name the columns, is longer "
        "than "
        "1 MiB." in page
    )
    assert "Its first MiB alone repeats column names: &#39;score&#39; 174,762 times" in page
    with app.app_context():
        assert db.session.query(Evidence).filter_by(filename="outputs.csv").count() == 0


def test_a_line_of_many_quotes_costs_no_time(app, client, world, auth):
    # csv.Sniffer, which chose the delimiter, took 35 s on this 64 KB line
    content = ("outcome,decision,group\n" + ',"a' * 21_000 + "\n").encode()
    auth.login(world.users["procurer_a"])
    page = within(
        LOOSE_SECONDS, lambda: flashed_after(client, upload(client, world.assessments["a"], content))
    )
    assert "The file cannot be audited: Line 2 has 10,501 fields, but the header has 3." in page


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_delimiter_is_the_one_that_matches_the_header(tmp_path, sep):
    text = (
        sep.join(["outcome", "decision", "group", "note"])
        + "\n"
        + "\n".join(sep.join([row, "a, b; c|d"]) for row in rows_csv(30, sep).split("\n"))
        + "\n"
    )
    text = text.replace("a, b; c|d", '"a, b; c|d"') if sep == "," else text.replace("a, b; c|d", "a, b")
    source = open_source(write(tmp_path, text))
    assert source.delimiter == sep and source.header == ["outcome", "decision", "group", "note"]


def test_preview_reads_a_bounded_sample(tmp_path):
    rows = rows_csv(200_000)
    path = write(tmp_path, "outcome,decision,group\n" + rows + "\n")
    source = open_source(path)
    assert len(source.sample) <= MAX_HEADER_BYTES + SAMPLE_BYTES < os.path.getsize(path)
    assert preview(source) == [
        ["0", "0", "a"],
        ["1", "1", "b"],
        ["0", "0", "a"],
        ["1", "0", "b"],
        ["0", "1", "a"],
    ]


# 2. A row with more or fewer fields than the header: refused with its line number, never padded or cut.

RAGGED = "outcome,decision,group\n1,0,a\n0,1,b\n1,1,a\n0,0,b\n1,0,a\n0,1,b,x,y\n" + rows_csv() + "\n"


def test_ragged_row_is_refused_with_its_line_number(tmp_path):
    with pytest.raises(
        InputError,
        match=r"^Line 7 has 5 fields, but the header has 3\. Every row needs one value per "
        r"column; nothing is cut off or filled in\.",
    ) as error:
        audit(write(tmp_path, RAGGED), "outcome", "decision", sensitive_features="group", n_bootstrap=0)
    assert error.value.rows == [7] and error.value.count == 1


def test_short_and_long_rows_far_into_a_file_are_all_counted(tmp_path):
    lines = ["outcome,decision,group", *rows_csv(100000).split("\n")]
    lines[50_000] = "1,0"  # line 50,001: short, would become a '(missing)' group
    lines[90_000] = "1,0,a,extra"  # line 90,001: long, its last field would be dropped
    lines[90_001] = "1,0,b,extra"
    path = write(tmp_path, "\n".join(lines) + "\n")
    with pytest.raises(InputError) as error:
        audit(path, "outcome", "decision", sensitive_features="group", n_bootstrap=0)
    assert str(error.value).startswith("Line 50,001 has 2 fields, but the header has 3.")
    assert "Other lines that do not match, with their number of fields: 90,001 (4), 90,002 (4)." in str(
        error.value
    )
    assert error.value.rows == [50_001, 90_001, 90_002] and error.value.count == 3


def test_quoted_delimiters_newlines_and_blank_lines_are_not_ragged(tmp_path):
    text = (
        'outcome,decision,group,note\n1,0,a,"x, y"\n0,1,b,"two\nlines"\n\n1,1,a, "spaced, quoted"\n   \n'
        + rows_csv().replace("\n", ",z\n")
        + ",z\n"
    )
    result = audit(write(tmp_path, text), "outcome", "decision", sensitive_features="group", n_bootstrap=0)
    assert result.rows == 123


def test_a_value_longer_than_the_csv_module_takes_is_read(app, client, world, auth, tmp_path):
    text = (
        "outcome,decision,group,note\n1,0,a,"
        + "x" * 300_000
        + "\n"
        + rows_csv().replace("\n", ",n\n")
        + ",n\n"
    )
    assert (
        audit(write(tmp_path, text), "outcome", "decision", sensitive_features="group", n_bootstrap=0).rows
        == 121
    )
    auth.login(world.users["procurer_a"])
    assert "map the columns" in flashed_after(client, upload(client, world.assessments["a"], text.encode()))


def test_cli_exits_2_on_a_ragged_row(tmp_path):
    result = run_cli(
        write(tmp_path, RAGGED), "--label", "outcome", "--prediction", "decision", "--sensitive", "group"
    )
    assert result.exit_code == 2
    assert "Error: Line 7 has 5 fields, but the header has 3." in result.output
    explained = CliRunner().invoke(
        main, ["explain", write(tmp_path, RAGGED), "--prediction", "decision", "--sensitive", "group"]
    )
    assert explained.exit_code == 2
    assert "Error: Line 7 has 5 fields, but the header has 3." in explained.output


def test_web_refuses_a_ragged_row_in_the_preview_at_upload(app, client, world, auth):
    auth.login(world.users["procurer_a"])
    page = flashed_after(client, upload(client, world.assessments["a"], RAGGED.encode(), "ragged.csv"))
    assert "The file cannot be audited: Line 7 has 5 fields, but the header has 3." in page
    with app.app_context():
        assert db.session.query(Evidence).filter_by(filename="ragged.csv").count() == 0


def test_web_run_fails_on_a_ragged_row_beyond_the_preview(app, client, world, auth):
    auth.login(world.users["procurer_a"])
    lines = ["outcome,decision,group", *rows_csv(200000).split("\n"), "1,0"]
    assert len("\n".join(lines)) > MAX_HEADER_BYTES + SAMPLE_BYTES
    _, response = start_audit(
        client,
        world.assessments["a"],
        "\n".join(lines).encode(),
        y_true="outcome",
        y_pred="decision",
        sensitive_features=["group"],
    )
    body = finished_audit(client, response)
    assert "The audit could not be completed." in body
    assert "Line 200,002 has 2 fields, but the header has 3." in body


# 4. A header longer than 64 KiB is read whole; one longer than 1 MiB is refused, never cut.


def test_long_header_is_read_whole(app, client, world, auth, tmp_path):
    stem = "feature_describing_the_applicant_in_considerably_more_detail_number_"
    names = [f"{stem}{i:04d}" for i in range(997)]
    names += ["outcome", "decision", "group"]
    body = "\n".join(",".join(["0.5"] * 997 + row.split(",")) for row in rows_csv().split("\n"))
    content = ",".join(names) + "\n" + body + "\n"
    assert content.index("\n") > 1 << 16  # where the header used to be cut
    path = write(tmp_path, content)
    assert open_source(path).header[-4:] == [f"{stem}0996", "outcome", "decision", "group"]
    assert audit(path, "outcome", "decision", sensitive_features="group", n_bootstrap=0).rows == 120
    auth.login(world.users["procurer_a"])
    page, response = start_audit(
        client,
        world.assessments["a"],
        content.encode(),
        y_true="outcome",
        y_pred="decision",
        sensitive_features=["group"],
    )
    assert f'<option value="{stem}0996">{stem}0996</option>' in page
    assert '<option selected value="decision">decision</option>' in page
    assert "What the audit found" in finished_audit(client, response)


def test_header_over_the_limit_is_refused_saying_so(tmp_path):
    names = ",".join(f"c{i:07d}" for i in range(120_000))  # 1.08 MB, each name distinct
    with pytest.raises(
        InputError,
        match=re.escape(
            "The first line of the file, which should name the columns, is longer than "
            "1 MiB. A table of model outputs needs far fewer columns"
        ),
    ) as error:
        audit(
            write(tmp_path, names + "\n" + ",".join(["1"] * 120_000) + "\n"),
            "c0000000",
            "c0000001",
            sensitive_features="c0000002",
        )
    assert "repeats" not in str(error.value)


# 5. Nested Parquet columns, other encodings and files that are not tables.


def nested_frame(n=200) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, n)
    return pd.DataFrame(
        {
            "outcome": y,
            "decision": np.where(rng.random(n) < 0.8, y, 1 - y),
            "group": rng.choice(["a", "b"], n),
            "x": rng.normal(size=n),
            "address": [{"street": "Main", "number": int(i)} for i in range(n)],
            "history": [[int(i), int(i) + 1] for i in range(n)],
        }
    )


def nested_parquet(tmp_path) -> str:
    path = tmp_path / "nested.parquet"
    nested_frame().to_parquet(path)
    return str(path)


@pytest.mark.parametrize(
    "role, message",
    [
        (
            {"sensitive_features": "address"},
            r"The column 'address' holds nested values \(struct: a record of several fields in each "
            r"row\), not one plain "
            r"value per row\. Choose a column of plain",
        ),
        (
            {"sensitive_features": "group", "y_pred": "history"},
            r"The column 'history' holds nested values \(list: ",
        ),
    ],
)
def test_nested_parquet_column_is_named_with_the_reason(tmp_path, role, message):
    mapping = {"y_true": "outcome", "y_pred": "decision", **role}
    with pytest.raises(InputError, match=message):
        audit(nested_parquet(tmp_path), **mapping)
    assert (
        audit(nested_parquet(tmp_path), "outcome", "decision", sensitive_features="group", n_bootstrap=0).rows
        == 200
    )


def test_nested_values_in_a_frame_are_named():
    with pytest.raises(
        InputError,
        match=r"The column 'address' holds nested values \(records or lists\), not one "
        r"plain value per row",
    ):
        audit(nested_frame(), "outcome", "decision", sensitive_features="address")


def test_nested_parquet_in_the_web_form_and_the_explanation(app, client, world, auth, tmp_path):
    auth.login(world.users["procurer_a"])
    content = Path(nested_parquet(tmp_path)).read_bytes()
    _, response = start_audit(
        client,
        world.assessments["a"],
        content,
        "nested.parquet",
        y_true="outcome",
        y_pred="decision",
        sensitive_features=["address"],
    )
    assert response.status_code == 200
    assert (
        "The column “address” holds nested values (struct: a record of several fields in each row)"
        in response.get_data(as_text=True)
    )
    assert audits_of(app, world.assessments["a"]) == 1
    evidence_id = response.request.path.rsplit("/", 1)[1]
    page = client.get(f"/assessments/{world.assessments['a']}/explanations/new/{evidence_id}")
    assert page.status_code == 200
    features = page.get_data(as_text=True).split("Features the model saw")[1]
    assert re.search(r'checked[^>]*value="x"|value="x"[^>]*checked', features)
    assert not re.search(r'checked[^>]*value="address"|value="address"[^>]*checked', features)
    result = explain(nested_parquet(tmp_path), "decision", sensitive_features="group", exclude=["outcome"])
    assert result.features == ["x"]
    assert (
        "Left out because they hold nested values (records or lists) or raw bytes: address, history."
        in result.warnings
    )
    with pytest.raises(InputError, match="The column 'history' holds nested values"):
        explain(nested_parquet(tmp_path), "decision", sensitive_features="history")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-8-sig", "utf-32"])
def test_byte_order_marks_are_read(tmp_path, encoding):
    text = "outcome,decision,group\n" + rows_csv().replace("a", "Française") + "\n"
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = codecs.BOM_UTF16_BE + data
    path = write(tmp_path, data)
    assert open_source(path).header == ["outcome", "decision", "group"]
    result = audit(path, "outcome", "decision", sensitive_features="group", n_bootstrap=0)
    plain = audit(
        write(tmp_path, text, "plain.csv"), "outcome", "decision", sensitive_features="group", n_bootstrap=0
    )
    assert result.to_dict()["groups"] == plain.to_dict()["groups"]
    assert {g.group["group"] for g in result.groups} == {"Française", "b"}


def test_utf16_upload_runs_in_the_web(app, client, world, auth):
    auth.login(world.users["procurer_a"])
    content = outputs_csv(600).decode().encode("utf-16")
    page, response = start_audit(
        client,
        world.assessments["a"],
        content,
        y_true="two_year_recid",
        y_pred="high_risk",
        sensitive_features=["race"],
    )
    assert '<option selected value="two_year_recid">' in page
    assert '<th scope="col">two_year_recid</th>' in page and "\ufeff" not in page
    assert "What the audit found" in finished_audit(client, response)


@pytest.mark.parametrize(
    "content, message",
    [
        (
            "outcome,decision\n1,0\n".encode("utf-16-le"),
            "The file looks like UTF-16 text without a byte-order mark. Save it as “CSV UTF-8”",
        ),
        (bytes(range(1, 256)) * 40, "This is not a text table: upload a CSV file"),
        (
            b"PK\x03\x04\x14\x00\x06\x00" + bytes(200),
            "This file is a spreadsheet workbook or a ZIP archive (.xlsx, .ods, "
            ".zip), not a CSV file. Save the sheet as “CSV UTF-8”",
        ),
        (b"\x1f\x8b\x08\x00" + bytes(100), "This file is compressed (gzip). Decompress it"),
        (
            codecs.BOM_UTF16_LE + b"\x00\xd8a\x00",
            "The file starts with a UTF-16 byte-order mark but is not valid UTF-16",
        ),
    ],
)
def test_files_that_are_not_tables_are_named(app, client, world, auth, tmp_path, content, message):
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        audit(write(tmp_path, content), "outcome", "decision", sensitive_features="group")
    result = run_cli(
        write(tmp_path, content), "--label", "outcome", "--prediction", "decision", "--sensitive", "g"
    )
    assert result.exit_code == 2 and message in result.output
    auth.login(world.users["procurer_a"])
    page = flashed_after(client, upload(client, world.assessments["a"], content, "junk.csv"))
    assert "The file cannot be audited: " + message.replace("'", "&#39;") in page.replace("&#34;", '"')


# 6. One column in two roles.


@pytest.mark.parametrize(
    "options, message",
    [
        (
            ["--prediction", "decision", "--sensitive", "outcome"],
            "The column 'outcome' is named as both the outcome and a protected attribute.",
        ),
        (
            ["--prediction", "decision", "--sensitive", "group", "--sensitive", "decision"],
            "The column 'decision' is named as both the model's decision and a protected attribute.",
        ),
        (
            ["--prediction", "outcome", "--sensitive", "group"],
            "The column 'outcome' is named as both the outcome and the model's decision",
        ),
    ],
)
def test_one_column_in_two_roles_is_refused(tmp_path, options, message):
    path = write(tmp_path, "outcome,decision,group\n" + rows_csv() + "\n")
    result = run_cli(path, "--label", "outcome", *options)
    assert result.exit_code == 2 and message in result.output
    sensitive = options[options.index("--sensitive") + 1 :][::2]
    with pytest.raises(InputError, match=message):
        audit(path, "outcome", options[1], sensitive_features=sensitive)


def test_web_form_refuses_the_outcome_as_a_protected_attribute(app, client, world, auth):
    auth.login(world.users["procurer_a"])
    _, response = start_audit(
        client,
        world.assessments["a"],
        outputs_csv(300),
        y_true="two_year_recid",
        y_pred="high_risk",
        sensitive_features=["race", "two_year_recid"],
    )
    assert response.status_code == 200
    assert (
        "“two_year_recid” is already chosen as the observed outcome; a protected attribute is a column of "
        "its "
        "own" in response.get_data(as_text=True)
    )
    assert audits_of(app, world.assessments["a"]) == 1


# The ordinary mistakes: each says what is wrong.


def test_empty_and_header_only_files(app, client, world, auth, tmp_path):
    for content, message in (
        (b"", "The file is empty: it has no header and no rows."),
        (b"outcome,decision,group\n", "The file has a header but no rows of data."),
    ):
        result = run_cli(
            write(tmp_path, content), "--label", "outcome", "--prediction", "decision", "--sensitive", "group"
        )
        assert result.exit_code == 2 and message in result.output
    auth.login(world.users["procurer_a"])
    page = flashed_after(
        client, upload(client, world.assessments["a"], b"outcome,decision,group\n", "header.csv")
    )
    assert "The file cannot be audited: The file has a header but no rows of data." in page
    empty = tmp_path / "empty.parquet"
    nested_frame().head(0).to_parquet(empty)
    page = flashed_after(client, upload(client, world.assessments["a"], empty.read_bytes(), "empty.parquet"))
    assert "The file cannot be audited: The table has columns but no rows of data." in page


def test_label_with_three_values(app, client, world, auth, tmp_path):
    text = "outcome,decision,group\n" + "\n".join(f"{i % 3},{i % 2},{'ab'[i % 2]}" for i in range(90)) + "\n"
    result = run_cli(
        write(tmp_path, text), "--label", "outcome", "--prediction", "decision", "--sensitive", "group"
    )
    assert result.exit_code == 2
    assert (
        "The outcome column 'outcome' must be binary (0/1, true/false or yes/no), but it holds '0', '1', "
        "'2'. "
        "30 rows (rows 4, 7, 10" in result.output
    )
    auth.login(world.users["procurer_a"])
    _, response = start_audit(
        client,
        world.assessments["a"],
        text.encode(),
        y_true="outcome",
        y_pred="decision",
        sensitive_features=["group"],
    )
    body = finished_audit(client, response)
    assert "The outcome column &#39;outcome&#39; must be binary" in body


# 7. Parquet columns of raw bytes, text that is not UTF-8, damaged pages; no stored file without its record.

RAW_BYTES = (
    "The column 'blob' holds binary values (raw bytes), not text or numbers; no group, outcome or decision "
    "can be read from it."
)


def bytes_parquet(tmp_path, blob=None) -> str:
    """The attack's file: outcome, decision, group, a number, and a column of raw bytes."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "bytes.parquet"
    pq.write_table(
        pa.table(
            {
                "label": [0, 1] * 50,
                "prediction": [1, 0, 0, 1] * 25,
                "race": ["a", "b"] * 50,
                "x": [float(i % 7) for i in range(100)],
                "blob": blob if blob is not None else pa.array([b"\xff", b"a"] * 50),
            }
        ),
        path,
    )
    return str(path)


def files_without_evidence(app) -> list[str]:
    with app.app_context():
        recorded = {sha for (sha,) in db.session.query(Evidence.sha256)}
    return [
        name for _, _, files in os.walk(app.config["UPLOAD_FOLDER"]) for name in files if name not in recorded
    ]


def test_a_column_of_raw_bytes_is_named_where_chosen_and_left_alone_elsewhere(tmp_path):
    import pyarrow as pa

    path = bytes_parquet(tmp_path)
    assert preview(open_source(path))[:2] == [
        ["0", "1", "a", "0.0", "(binary, 1 byte)"],
        ["1", "0", "b", "1.0", "(binary, 1 byte)"],
    ]
    assert audit(path, "label", "prediction", sensitive_features="race", n_bootstrap=0).rows == 100
    for mapping in (
        {"y_pred": "blob", "sensitive_features": "race"},
        {"y_pred": "prediction", "sensitive_features": ["race", "blob"]},
    ):
        with pytest.raises(InputError, match=re.escape(RAW_BYTES)) as refused:
            audit(path, "label", **mapping)
        assert refused.value.column == "blob"
    result = run_cli(path, "--label", "label", "--prediction", "blob", "--sensitive", "race")
    assert result.exit_code == 2 and RAW_BYTES in result.output
    assert "write it to the Parquet file as a text (string) column" in result.output

    explained = explain(path, "prediction", sensitive_features="race", exclude=["label"])
    assert explained.features == ["x"]
    assert (
        "Left out because they hold nested values (records or lists) or raw bytes: blob."
        in explained.warnings
    )
    with pytest.raises(InputError, match=re.escape(RAW_BYTES)):
        explain(path, "prediction", sensitive_features="race", features=["x", "blob"])
    for kind in (pa.large_binary(), pa.binary(1)):  # every Arrow type of raw bytes, dictionary-encoded too
        other = bytes_parquet(tmp_path, pa.array([b"\xff", b"a"] * 50, kind))
        with pytest.raises(InputError, match=re.escape(RAW_BYTES)):
            audit(other, "label", "blob", sensitive_features="race")
    encoded = bytes_parquet(tmp_path, pa.array([b"\xff", b"a"] * 50).dictionary_encode())
    assert preview(open_source(encoded))[0][4] == "(binary, 1 byte)"
    frame = pd.DataFrame({"label": [0, 1] * 50, "blob": [b"\xff", b"a"] * 50, "race": ["a", "b"] * 50})
    with pytest.raises(InputError, match=re.escape(RAW_BYTES)):
        audit(frame, "label", "blob", sensitive_features="race")


def test_an_invited_vendor_uploads_raw_bytes_and_is_told_which_column_cannot_be_used(
    app, client, world, auth, tmp_path
):
    auth.login(world.users["vendor_a"])
    content = Path(bytes_parquet(tmp_path)).read_bytes()
    page, refused = start_audit(
        client,
        world.assessments["a"],
        content,
        "bytes.parquet",
        y_true="label",
        y_pred="blob",
        sensitive_features=["race"],
    )
    assert "<td>(binary, 1 byte)</td>" in page
    assert refused.status_code == 200
    assert RAW_BYTES.replace("'", "&#39;") in refused.get_data(as_text=True)
    assert audits_of(app, world.assessments["a"]) == 1  # nothing was queued
    assert files_without_evidence(app) == []

    data = form_fields(refused.get_data(as_text=True))
    data.update(
        y_true="label",
        y_pred="prediction",
        score="",
        sensitive_features=["race"],
        min_group_size="30",
        confidence="0.95",
    )
    body = finished_audit(client, client.post(refused.request.path, data=data))
    assert "What the audit found" in body
    evidence_id = refused.request.path.rsplit("/", 1)[1]
    explanation = client.get(f"/assessments/{world.assessments['a']}/explanations/new/{evidence_id}")
    assert explanation.status_code == 200
    features = explanation.get_data(as_text=True).split("Features the model saw")[1]
    assert re.search(r'checked[^>]*value="x"|value="x"[^>]*checked', features)
    assert not re.search(r'checked[^>]*value="blob"|value="blob"[^>]*checked', features)
    data = form_fields(explanation.get_data(as_text=True))
    data.update(output="prediction", sensitive_features=["race"], features=["x", "blob"], sample="200")
    chosen = client.post(explanation.request.path, data=data)
    assert chosen.status_code == 200 and RAW_BYTES.replace("'", "&#39;") in chosen.get_data(as_text=True)
    assert audits_of(app, world.assessments["a"]) == 2


def invalid_text_parquet(tmp_path, bad_rows) -> str:
    """A text column whose values in ``bad_rows`` are bytes that are not UTF-8 (a faulty writer)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    raw = pa.array([b"\xff" if i in bad_rows else b"ok" for i in range(100)])
    text = pa.Array.from_buffers(pa.string(), len(raw), raw.buffers())  # pyarrow checks nothing here
    path = tmp_path / "text.parquet"
    pq.write_table(
        pa.table(
            {"label": [0, 1] * 50, "prediction": [1, 0, 0, 1] * 25, "race": ["a", "b"] * 50, "note": text}
        ),
        path,
    )
    return str(path)


def test_parquet_text_that_is_not_utf8_is_named(app, client, world, auth, tmp_path):
    message = (
        "The column 'note' is declared as text, which Parquet stores as UTF-8, but it holds bytes that "
        "are not "
        "UTF-8: the file is damaged or was written by a faulty program."
    )
    late = invalid_text_parquet(tmp_path, bad_rows={60})
    assert audit(late, "label", "prediction", sensitive_features="race", n_bootstrap=0).rows == 100
    with pytest.raises(InputError, match=re.escape(message)):
        audit(late, "label", "prediction", sensitive_features=["race", "note"])
    result = run_cli(late, "--label", "label", "--prediction", "note", "--sensitive", "race")
    assert result.exit_code == 2 and message in result.output
    with pytest.raises(InputError, match=re.escape(message)):
        explain(late, "prediction", sensitive_features="race", exclude=["label"])

    auth.login(world.users["procurer_a"])
    early = Path(invalid_text_parquet(tmp_path, bad_rows={0, 1})).read_bytes()
    page = flashed_after(client, upload(client, world.assessments["a"], early, "text.parquet"))
    assert "The file cannot be audited: " + message.replace("'", "&#39;") in page
    assert files_without_evidence(app) == []


def damaged_parquet(tmp_path) -> str:
    """Four row groups, the third's first page header overwritten: the preview reads, the audit cannot."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "damaged.parquet"
    rng = np.random.default_rng(4)
    n = 4000
    pq.write_table(
        pa.table(
            {
                "label": rng.integers(0, 2, n),
                "prediction": rng.integers(0, 2, n),
                "race": rng.choice(["a", "b"], n),
            }
        ),
        path,
        row_group_size=1000,
    )
    data = bytearray(path.read_bytes())
    start = pq.ParquetFile(path).metadata.row_group(2).column(1).data_page_offset
    data[start : start + 64] = b"\xab" * 64
    path.write_bytes(bytes(data))
    return str(path)


def test_a_damaged_page_beyond_the_preview_is_named_not_a_traceback(app, client, world, auth, tmp_path):
    path = damaged_parquet(tmp_path)
    assert len(preview(open_source(path))) == 5
    result = run_cli(path, "--label", "label", "--prediction", "prediction", "--sensitive", "race")
    assert result.exit_code == 2, result.output
    assert "Error: The file looks like Parquet but its rows cannot be read: " in result.output
    auth.login(world.users["procurer_a"])
    _, response = start_audit(
        client,
        world.assessments["a"],
        Path(path).read_bytes(),
        "damaged.parquet",
        y_true="label",
        y_pred="prediction",
        sensitive_features=["race"],
    )
    body = finished_audit(client, response)
    assert "The file looks like Parquet but its rows cannot be read: " in body
    assert "error on our side" not in body


def test_no_stored_file_outlives_a_refused_or_failed_upload(app, client, world, auth, tmp_path):
    from sqlalchemy import text

    auth.login(world.users["procurer_a"])
    for content, name in ((b"outcome,decision,group\n", "header.csv"), (b"\x00\x01\x02" * 100, "junk.csv")):
        assert "The file cannot be audited: " in flashed_after(
            client, upload(client, world.assessments["a"], content, name)
        )
    assert files_without_evidence(app) == []

    with app.app_context():  # the database refuses the record after the file is stored, as a full disk would
        db.session.execute(
            text(
                "CREATE TRIGGER refuse_evidence BEFORE INSERT ON evidence "
                "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
            )
        )
        db.session.commit()
    app.config["PROPAGATE_EXCEPTIONS"] = False
    failed = upload(client, world.assessments["a"], outputs_csv(300), "outputs.csv")
    assert failed.status_code == 500
    assert files_without_evidence(app) == []
