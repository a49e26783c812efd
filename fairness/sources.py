"""Opening an uploaded table: its format, encoding, delimiter and header, a bounded preview, and the
check that every row has as many fields as the header.

Everything that runs before a person has chosen columns reads a bounded sample with Python's own
``csv`` module, never the whole file and never through pandas, so that a hostile header costs
milliseconds. Nothing here ever unpickles: CSV is parsed as text and Parquet through pyarrow.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import MAX_ROWS_NAMED, InputError

if TYPE_CHECKING:
    import pyarrow as pa

DELIMITERS = ",;\t|"
MAX_HEADER_BYTES = 1 << 20  # a header this long is refused, never cut: no table of model outputs needs more
SAMPLE_BYTES = 1 << 16  # read beyond the header limit for the delimiter and the preview
SNIFF_CHARS = 1 << 16
PREVIEW_ROWS = 5
ARROW_MIN_BLOCK_BYTES, ARROW_MAX_BLOCK_BYTES = 256 << 10, 4 << 20
SHOWN_NAMES = 5
SHOWN_NAME_CHARS = 60

# Byte-order marks, longest first: the UTF-32 little-endian mark begins with the UTF-16 one.
BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Formats people upload by mistake, recognised by their first bytes so that the message can say what to do.
SIGNATURES = (
    (
        b"PK\x03\x04",
        "a spreadsheet workbook or a ZIP archive (.xlsx, .ods, .zip), not a CSV file. Save the sheet "
        "as “CSV UTF-8” and upload that",
    ),
    (
        b"\xd0\xcf\x11\xe0",
        "an Excel workbook (.xls), not a CSV file. Save the sheet as “CSV UTF-8” and upload that",
    ),
    (b"\x1f\x8b", "compressed (gzip). Decompress it and upload the CSV file inside"),
    (b"%PDF", "a PDF document, not a table. Upload the model's outputs as CSV or Parquet"),
)
NOT_TEXT = "This is not a text table: upload a CSV file (comma, semicolon or tab separated) or Parquet."
# Control characters that do not occur in text tables; a few may be stray, many mean binary data.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_LINE_BREAK = re.compile(r"[\r\n]")


@dataclass
class Source:
    """An opened upload: where it is, its format, encoding, delimiter and header.

    ``nested`` names the Parquet columns whose values are records or lists, with their kind;
    ``binary`` the Parquet columns of raw bytes (binary, not text);
    ``repeated`` describes the names the header gives to more than one column ("" when none).
    """

    path: Path
    kind: str  # "csv" or "parquet"
    encoding: str = "utf-8-sig"
    delimiter: str = ","
    header: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    nested: dict[str, str] = field(default_factory=dict)
    binary: list[str] = field(default_factory=list)
    repeated: str = ""
    sample: str = field(default="", repr=False)  # the decoded first bytes of a CSV file
    complete: bool = False  # the sample is the whole file
    header_end: int = 0  # where the header line ends in the sample


def open_source(path: str | os.PathLike[str]) -> Source:
    """Recognise the file and read its header, from at most ``MAX_HEADER_BYTES + SAMPLE_BYTES`` bytes."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"There is no file at {path}.")
    size = path.stat().st_size
    if size == 0:
        raise InputError("The file is empty: it has no header and no rows.")
    with open(path, "rb") as handle:
        head = handle.read(MAX_HEADER_BYTES + SAMPLE_BYTES)
    if head.startswith(b"PAR1"):
        return _open_parquet(path)
    for signature, what in SIGNATURES:
        if head.startswith(signature):
            raise InputError(f"This file is {what}.")
    source = Source(path, "csv", encoding=_encoding(head), complete=len(head) == size)
    source.sample = _decode(head, source, has_bom=head.startswith(codecs.BOM_UTF8))
    if len(_CONTROL.findall(source.sample[:SNIFF_CHARS])) > len(source.sample[:SNIFF_CHARS]) // 100:
        raise InputError(NOT_TEXT)
    header_line = _header_line(source)
    source.header_end = len(header_line)
    source.delimiter = _choose_delimiter(header_line, source.sample, source.complete)
    source.header = [name.strip() for name in _parse_header(header_line, source.delimiter)]
    _note_repeated_names(source)
    return source


def _note_repeated_names(source: Source) -> None:
    """Repeated names are found here, from the header as written, and named at once.

    Such a file stays usable (the COMPAS data repeats two names) as long as no repeated name is
    chosen; ``check_columns`` refuses one that is.
    """
    source.repeated = repeated_names(source.header)
    if source.repeated:
        source.warnings.append(
            f"The header repeats column names: {source.repeated}. Those columns cannot be "
            f"chosen until the copies are renamed in the file."
        )


def _encoding(head: bytes) -> str:
    for mark, encoding in BOMS:
        if head.startswith(mark):
            return encoding
    if b"\x00" in head:
        if _mostly_zero(head[1::2]) or _mostly_zero(head[0::2]):
            raise InputError(
                "The file looks like UTF-16 text without a byte-order mark. Save it as “CSV UTF-8” "
                "and upload it again."
            )
        raise InputError(NOT_TEXT)
    return "utf-8-sig"


def _mostly_zero(half: bytes) -> bool:
    # ASCII text in UTF-16 has a zero byte in every other position
    return len(half) > 0 and half.count(0) > 0.9 * len(half)


def _decode(head: bytes, source: Source, has_bom: bool) -> str:
    """The sample as text; a character cut at the end of the sample is left for the next read."""
    decoder = codecs.getincrementaldecoder(source.encoding)()
    try:
        return decoder.decode(head, final=source.complete)
    except UnicodeDecodeError as error:
        if source.encoding != "utf-8-sig" or has_bom:
            name = "UTF-8" if has_bom else source.encoding.upper()
            raise InputError(
                f"The file starts with a {name} byte-order mark but is not valid {name} (byte "
                f"{error.start + 1:,}). Save it as “CSV UTF-8” and upload it again."
            ) from None
    source.encoding = "latin-1"
    source.warnings.append("The file is not valid UTF-8; it was read as Latin-1. Check accented names.")
    return head.decode("latin-1")


def _header_line(source: Source) -> str:
    text = source.sample
    found = _LINE_BREAK.search(text)
    line = text[: found.start()] if found else text
    too_long = (found is None and not source.complete) or len(line.encode("utf-8")) > MAX_HEADER_BYTES
    if too_long:
        delimiter = max(DELIMITERS, key=line[:SNIFF_CHARS].count)
        names = line[:MAX_HEADER_BYTES].split(delimiter)[:-1]  # only for the hint: the last name may be cut
        repeated = repeated_names([n.strip() for n in names])
        also = f" Its first MiB alone repeats column names: {repeated}." if repeated else ""
        raise InputError(
            f"The first line of the file, which should name the columns, is longer than "
            f"{MAX_HEADER_BYTES >> 20} MiB. A table of model outputs needs far fewer columns: check "
            f"that this is the right file, or keep only the columns the audit needs.{also}"
        )
    if not line.strip():
        raise InputError("The first line of the file is empty: it should name the columns.")
    return line


def _choose_delimiter(header_line: str, text: str, complete: bool) -> str:
    """The candidate that splits the first rows into as many fields as the header, most often.

    Not csv.Sniffer: its regular expressions take quadratic time on a line of many quotes
    (35 s for 64 KiB). Each candidate here costs one linear pass of the csv module.
    """
    body = text[len(header_line) : len(header_line) + SNIFF_CHARS]
    lines = body.splitlines()
    if len(text) > len(header_line) + SNIFF_CHARS or not complete:
        lines = lines[:-1]  # the last line may be cut
    lines = [line for line in lines if line.strip()][:20]
    best, best_key = ",", (0, 0)
    for delimiter in DELIMITERS:
        try:
            fields = len(_parse_header(header_line, delimiter))
            agreeing = sum(
                len(row) == fields for row in csv.reader(lines, delimiter=delimiter, skipinitialspace=True)
            )
        except InputError:
            continue
        except csv.Error:
            agreeing = 0
        if fields > 1 and (agreeing, fields) > best_key:
            best, best_key = delimiter, (agreeing, fields)
    return best


def _parse_header(line: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delimiter, skipinitialspace=True), [])
    except csv.Error as error:
        raise InputError(f"The first line of the file cannot be read as CSV: {error}.") from None


def short_name(name: str) -> str:
    return name if len(name) <= SHOWN_NAME_CHARS else name[:SHOWN_NAME_CHARS] + "…"


def repeated_names(header: list[str]) -> str:
    """The names the header gives to more than one column, with their positions; "" when none is repeated.

    Columns without a name are not counted: they can never be chosen.
    """
    positions: dict[str, list[int]] = {}
    for number, name in enumerate(header, start=1):
        if name:
            positions.setdefault(name, []).append(number)
    repeated = [(name, where) for name, where in positions.items() if len(where) > 1]
    parts = []
    for name, where in repeated[:SHOWN_NAMES]:
        columns = ", ".join(str(p) for p in where[:SHOWN_NAMES]) + (", …" if len(where) > SHOWN_NAMES else "")
        times = "twice" if len(where) == 2 else f"{len(where):,} times"
        parts.append(f"'{short_name(name)}' {times} (columns {columns})")
    more = len(repeated) - SHOWN_NAMES
    return "; ".join(parts) + (f"; and {more:,} more" if more > 0 else "")


def _open_parquet(path: Path) -> Source:
    import pyarrow.parquet as pq

    try:
        schema = pq.ParquetFile(path).schema_arrow
    except Exception as error:  # noqa: BLE001 - pyarrow raises several types for a damaged file
        raise InputError(f"The file looks like Parquet but cannot be read: {error}.") from None
    source = Source(path, "parquet", header=list(schema.names), complete=True)
    _note_repeated_names(source)
    kinds = {f.name: _nested_kind(f.type) for f in schema}
    source.nested = {name: kind for name, kind in kinds.items() if kind}
    source.binary = [f.name for f in schema if _holds_bytes(f.type)]
    return source


def _nested_kind(arrow_type: pa.DataType) -> str | None:
    import pyarrow.types as t

    if t.is_struct(arrow_type):
        return "struct: a record of several fields in each row"
    if t.is_map(arrow_type):
        return "map: several keys and values in each row"
    if t.is_list(arrow_type) or t.is_large_list(arrow_type) or t.is_fixed_size_list(arrow_type):
        return "list: several values in each row"
    if t.is_union(arrow_type):
        return "union"
    return None


def _holds_bytes(arrow_type: pa.DataType) -> bool:
    """Raw bytes, which pandas turns into text only by decoding them as UTF-8, failing on any other byte."""
    import pyarrow.types as t

    if t.is_dictionary(arrow_type):
        arrow_type = arrow_type.value_type
    is_view = getattr(t, "is_binary_view", lambda _: False)  # pyarrow 16 and later
    return bool(
        t.is_binary(arrow_type)
        or t.is_large_binary(arrow_type)
        or t.is_fixed_size_binary(arrow_type)
        or is_view(arrow_type)
    )


def check_plain(source: Source, columns: Iterable[str]) -> None:
    """A column chosen for the audit must hold one plain value (text, number, true/false) per row."""
    for name in columns:
        if name in source.nested:
            raise nested_error(name, source.nested[name])
        if name in source.binary:
            raise binary_error(name)


def nested_error(name: str, kind: str) -> InputError:
    return InputError(
        f"The column '{name}' holds nested values ({kind}), not one plain value per row. Choose a "
        f"column of plain values (text or numbers), or flatten it into separate columns first.",
        column=name,
    )


def binary_error(name: str) -> InputError:
    return InputError(
        f"The column '{name}' holds binary values (raw bytes), not text or numbers; no group, outcome "
        f"or decision can be read from it. Choose another column, or, if it holds text, write it to "
        f"the Parquet file as a text (string) column, e.g. in pandas with "
        f"df['{name}'] = df['{name}'].str.decode('utf-8').",
        column=name,
    )


def preview(source: Source, rows: int = PREVIEW_ROWS) -> list[list[str]]:
    """The first rows as text, for people to recognise their columns.

    Reads the sample only. Every complete row of the sample is checked against the header,
    so that a ragged row is refused now rather than after the mapping.
    """
    if source.kind == "parquet":
        return _parquet_preview(source, rows)
    if source.complete and not source.sample[source.header_end :].strip():
        raise InputError("The file has a header but no rows of data.")
    shown: list[list[str]] = []
    ragged: list[tuple[int, int]] = []
    count = 0
    for line, row in _sample_rows(source):
        if len(row) != len(source.header):
            count += 1
            if len(ragged) < MAX_ROWS_NAMED:
                ragged.append((line, len(row)))
        elif len(shown) < rows:
            shown.append(row)
    if count:
        raise ragged_error(ragged, count, len(source.header), whole=source.complete)
    return shown


def _sample_rows(source: Source) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) of each complete, non-blank row in the sample, header excluded."""
    text = source.sample
    if not source.complete:
        text = text[: max(text.rfind("\n"), text.rfind("\r")) + 1]  # the last line may be cut
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=source.delimiter, skipinitialspace=True)
    try:
        next(reader, None)
        for row in reader:
            if not _blank(row):
                yield reader.line_num, row
    except csv.Error as error:
        if not _too_long(error):  # a long value is no reason to refuse: the preview stops before it
            raise unreadable_line(reader.line_num, error) from None


def _too_long(error: csv.Error) -> bool:
    return "field larger than field limit" in str(error)


def unreadable_line(line: int, error: csv.Error) -> InputError:
    if _too_long(error):
        return InputError(
            f"Line {line:,} holds a value longer than {csv.field_size_limit() >> 10} KiB, more than a "
            f"table of model outputs needs. Shorten it, or leave its column out of the file."
        )
    return InputError(f"Line {line:,} cannot be read as CSV: {error}.")


def _blank(row: list[str]) -> bool:
    # pandas skips empty and whitespace-only lines, so they are not rows
    return not row or (len(row) == 1 and not row[0].strip())


def _parquet_preview(source: Source, rows: int) -> list[list[str]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    if pq.ParquetFile(source.path).metadata.num_rows == 0:
        raise InputError("The table has columns but no rows of data.")
    table = pa.Table.from_batches([next(parquet_batches(source, batch_size=rows))])
    for position, column in enumerate(table.schema):
        if column.name in source.binary:  # shown by size: decoding raw bytes as text fails or shows nonsense
            shown = [
                None if value is None else _shown_bytes(value) for value in table.column(position).to_pylist()
            ]
            table = table.set_column(position, column.name, pa.array(shown, pa.string()))
    return table.to_pandas().head(rows).astype(str).values.tolist()


def parquet_batches(
    source: Source, columns: list[str] | None = None, batch_size: int = 1 << 16
) -> Iterator[pa.RecordBatch]:
    """The rows of ``columns`` of a Parquet file as pyarrow record batches, each checked by ``_valid``: a
    damaged page or text that is not UTF-8 is an InputError wherever in the file it lies, never an error of
    pyarrow's or pandas' own."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        for batch in pq.ParquetFile(source.path).iter_batches(batch_size=batch_size, columns=columns):
            yield _valid(batch)
    except (pa.ArrowException, OSError) as error:
        raise InputError(
            f"The file looks like Parquet but its rows cannot be read: "
            f"{' '.join(str(error).split()).rstrip('.')}."
        ) from None


def _valid(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Parquet requires text to be UTF-8, but pyarrow does not check it on reading, and pandas would fail on
    the first bad value wherever it is later used; such a column is named here instead."""
    import pyarrow as pa
    import pyarrow.types as t

    try:
        batch.validate(full=True)
    except pa.ArrowInvalid:
        for name, column in zip(batch.schema.names, batch.columns, strict=True):
            value_type = column.type.value_type if t.is_dictionary(column.type) else column.type
            if not (t.is_string(value_type) or t.is_large_string(value_type)):
                continue
            try:
                column.validate(full=True)
            except pa.ArrowInvalid:
                raise InputError(
                    f"The column '{name}' is declared as text, which Parquet stores as UTF-8, but it "
                    f"holds bytes that are not UTF-8: the file is damaged or was written by a faulty "
                    f"program. Write the table to Parquet again (e.g. with pandas' to_parquet), or "
                    f"leave the column out.",
                    column=name,
                ) from None
        raise
    return batch


def check_text(source: Source, columns: list[str]) -> None:
    """Every value of ``columns`` of a Parquet file is readable (``parquet_batches``)."""
    if source.kind == "parquet":
        for _ in parquet_batches(source, columns):
            pass


def _shown_bytes(value: bytes) -> str:
    return f"(binary, {len(value):,} byte{'' if len(value) == 1 else 's'})"


def ragged_error(ragged: list[tuple[int, int]], count: int, expected: int, whole: bool) -> InputError:
    """The message for rows whose number of fields differs from the header's."""
    first_line, fields = ragged[0]
    others = ""
    if count > 1:
        listed = ", ".join(f"{line:,} ({n})" for line, n in ragged[1:MAX_ROWS_NAMED])
        more = f" and {count - MAX_ROWS_NAMED:,} more" if count > MAX_ROWS_NAMED else ""
        scope = "" if whole else " in the part read so far"
        others = f" Other lines that do not match{scope}, with their number of fields: {listed}{more}."
    noun = "field" if fields == 1 else "fields"
    return InputError(
        f"Line {first_line:,} has {fields:,} {noun}, but the header has {expected:,}. Every row needs one "
        f"value per column; nothing is cut off or filled in.{others} Check these lines for a missing or "
        f"extra delimiter (or a value containing a delimiter that should be in quotes), then upload the file "
        f"again.",
        rows=[line for line, _ in ragged[:MAX_ROWS_NAMED]],
        count=count,
    )


def check_field_counts(source: Source) -> None:
    """Refuse a CSV file in which a row has more or fewer fields than the header.

    pandas pads a short row with missing values and, when only some columns are read, drops the
    fields of a long one without a word. pyarrow's parser checks every row quickly; when it objects
    (or cannot parse the file), Python's csv module, which splits fields as pandas does, decides and
    names the lines.
    """
    if source.kind != "csv" or _arrow_finds_every_row_whole(source):
        return
    ragged: list[tuple[int, int]] = []
    count = 0
    expected = len(source.header)
    try:
        with open(source.path, encoding=source.encoding, newline="") as handle:
            reader = csv.reader(handle, delimiter=source.delimiter, skipinitialspace=True)
            next(reader, None)
            for row in reader:
                if len(row) != expected and not _blank(row):
                    count += 1
                    if len(ragged) < MAX_ROWS_NAMED:
                        ragged.append((reader.line_num, len(row)))
    except csv.Error as error:
        raise unreadable_line(reader.line_num, error) from None
    except UnicodeDecodeError:
        raise encoding_error(source) from None
    if count:
        raise ragged_error(ragged, count, expected, whole=True)


def _arrow_finds_every_row_whole(source: Source) -> bool:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    encoding = "utf8" if source.encoding == "utf-8-sig" else source.encoding
    # pyarrow reads several blocks ahead: small blocks keep memory low, but a row must fit in one
    header_bytes = len(source.delimiter.join(source.header).encode("utf-8"))
    block_size = min(ARROW_MAX_BLOCK_BYTES, max(ARROW_MIN_BLOCK_BYTES, 4 * header_bytes))
    try:
        reader = pacsv.open_csv(
            source.path,
            read_options=pacsv.ReadOptions(
                use_threads=False, block_size=block_size, autogenerate_column_names=True, encoding=encoding
            ),
            parse_options=pacsv.ParseOptions(delimiter=source.delimiter, newlines_in_values=True),
            # only the parse is wanted: a column that is not in the file costs no conversion
            convert_options=pacsv.ConvertOptions(include_columns=["no column"], include_missing_columns=True),
        )
        for _ in reader:
            pass
    except (pa.ArrowException, UnicodeDecodeError):
        return False
    return True


def encoding_error(source: Source) -> InputError:
    """A file whose first part decoded but whose later part does not."""
    name = "UTF-8" if source.encoding == "utf-8-sig" else source.encoding.upper()
    return InputError(
        f"The file begins as {name} text, but further on it holds bytes that are not {name}. Save "
        f"the whole file as “CSV UTF-8” and upload it again."
    )
