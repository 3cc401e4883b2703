"""Load labelled texts from files, or fetch the built-in SMS Spam Collection.

Every loader is all-or-nothing: it returns a complete ``Dataset`` or raises ``DataError``
naming the file and line, so a bad upload is reported before any training starts.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import os
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

SMS_SPAM_URL = "https://archive.ics.uci.edu/static/public/228/sms+spam+collection.zip"
SMS_SPAM_MEMBER = "SMSSpamCollection"
SMS_SPAM_SHA256 = "7d039a24a6083ed9ef0f806ebad56bbb976e3aeb8de05669173bfdc4996c239d"
KNOWN_DATASETS = ("sms-spam",)
FORMATS = ("sms", "csv", "tsv", "jsonl")
_EXTENSIONS = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
_MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024  # the real zip is ~200 kB; refuse anything absurd


class DataError(ValueError):
    """A data set that cannot be used, located by file and (when known) line."""

    def __init__(self, path: str | os.PathLike[str], line: int | None, message: str) -> None:
        self.path = str(path)
        self.line = line
        self.message = message
        where = self.path if line is None else f"{self.path}:{line}"
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Dataset:
    texts: list[str]
    labels: list[str]
    source: str
    sha256: str

    @property
    def rows(self) -> int:
        return len(self.texts)

    @property
    def classes(self) -> list[str]:
        return sorted(set(self.labels))

    @classmethod
    def from_rows(cls, texts: Sequence[str], labels: Sequence[str], source: str) -> Dataset:
        """Build from in-memory rows (e.g. reviewed feedback); fingerprinted by content."""
        texts, labels = list(texts), list(labels)
        if len(texts) != len(labels):
            raise DataError(source, None, f"{len(texts)} texts but {len(labels)} labels")
        for i, (text, label) in enumerate(zip(texts, labels, strict=True), start=1):
            _check_row(source, i, text, label)
        _check_classes(source, labels, label_column="label", max_classes=None)
        digest = hashlib.sha256()
        for text, label in zip(texts, labels, strict=True):
            # One JSON array per row: unambiguous whatever tabs or newlines the texts hold.
            digest.update(json.dumps([label, text], ensure_ascii=False).encode() + b"\n")
        return cls(texts=texts, labels=labels, source=source, sha256=digest.hexdigest())


def _check_row(path: str, line: int | None, text: object, label: object) -> None:
    if not isinstance(text, str):
        raise DataError(path, line, f"text must be a string, got {type(text).__name__}")
    if not text.strip():
        raise DataError(path, line, "text is blank")
    if not isinstance(label, str) or not label.strip():
        raise DataError(path, line, "label is blank")


def _check_classes(
    path: str, labels: list[str], *, label_column: str, max_classes: int | None
) -> None:
    if not labels:
        raise DataError(path, None, "no rows")
    distinct = set(labels)
    if max_classes is not None and len(distinct) > max_classes:
        raise DataError(
            path,
            None,
            f"label column {label_column!r} has {len(distinct)} distinct values, more than"
            f" {max_classes} — is it the right column? (if so, raise the limit: --max-classes)",
        )
    if len(distinct) < 2:
        raise DataError(
            path, None, f"only one class ({labels[0]!r}); a classifier needs at least two"
        )


def _decode(path: str, data: bytes) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DataError(path, line, f"not valid UTF-8 (byte {data[exc.start]:#04x})") from None
    return text.removeprefix("\ufeff")


def _lines(text: str) -> Iterator[tuple[int, str]]:
    # Split on "\n" only: str.splitlines would also break on \x0b, \x1c, \u2028 … inside texts.
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.removesuffix("\r")
        if line.strip():
            yield number, line


def _parse_sms(path: str, text: str) -> tuple[list[str], list[str], list[int]]:
    texts, labels, lines = [], [], []
    for number, line in _lines(text):
        label, tab, body = line.partition("\t")
        if not tab:
            raise DataError(path, number, "malformed line: expected label<TAB>text")
        _check_row(path, number, body, label)
        texts.append(body)
        labels.append(label.strip())
        lines.append(number)
    return texts, labels, lines


def _column(path: str, columns: list[str], wanted: str, kind: str) -> int:
    if wanted not in columns:
        available = ", ".join(repr(c) for c in columns)
        raise DataError(path, 1, f"no {kind} column {wanted!r} (columns: {available})")
    return columns.index(wanted)


def _parse_delimited(
    path: str, text: str, delimiter: str, text_column: str, label_column: str
) -> tuple[list[str], list[str], list[int]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    texts, labels, lines = [], [], []
    try:
        header = next(reader, None)
        if header is None:
            raise DataError(path, None, "file is empty")
        header = [name.strip() for name in header]
        if delimiter == "\t" and len(header) == 2 and text_column not in header:
            raise DataError(
                path,
                1,
                f"no text column {text_column!r} in the header {header!r}: if the file has no "
                "header and each line is label<TAB>text, add --format sms",
            )
        t_col = _column(path, header, text_column, "text")
        l_col = _column(path, header, label_column, "label")
        start = reader.line_num + 1
        for record in reader:
            number, start = start, reader.line_num + 1
            if not record or not any(field.strip() for field in record):
                continue
            if len(record) != len(header):
                raise DataError(
                    path, number, f"malformed line: {len(record)} fields, header has {len(header)}"
                )
            _check_row(path, number, record[t_col], record[l_col])
            texts.append(record[t_col])
            labels.append(record[l_col].strip())
            lines.append(number)
    except csv.Error as exc:
        raise DataError(path, reader.line_num, f"malformed line: {exc}") from None
    return texts, labels, lines


def _parse_jsonl(
    path: str, text: str, text_column: str, label_column: str
) -> tuple[list[str], list[str], list[int]]:
    texts, labels, lines = [], [], []
    for number, line in _lines(text):
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(path, number, f"malformed line: bad JSON ({exc.msg})") from None
        if not isinstance(record, dict):
            raise DataError(path, number, "malformed line: expected a JSON object")
        for key, kind in ((text_column, "text"), (label_column, "label")):
            if key not in record:
                keys = ", ".join(repr(k) for k in record)
                raise DataError(path, number, f"no {kind} field {key!r} (fields: {keys})")
        label = record[label_column]
        # Numeric or boolean labels (0/1, true/false) are common in exported data.
        if isinstance(label, bool):
            label = str(label).lower()
        elif isinstance(label, int | float):
            label = str(label)
        _check_row(path, number, record[text_column], label)
        texts.append(record[text_column])
        labels.append(label.strip())
        lines.append(number)
    return texts, labels, lines


def _looks_like_sms(text: str) -> bool:
    first = next(_lines(text), (0, ""))[1]
    label, tab, _ = first.partition("\t")
    return bool(tab) and 0 < len(label.strip()) <= 40


def _headerless_sms(text: str, columns: tuple[str, str]) -> bool:
    """A .tsv of ``label<TAB>text`` lines with no header (how the SMS Spam Collection is often
    saved): every line has two fields, the first names neither column, and its label is one
    that other lines use too (a header's first field would appear once)."""
    rows = [line.split("\t") for _, line in itertools.islice(_lines(text), 1000)]
    if len(rows) < 2 or any(len(row) != 2 for row in rows):
        return False
    first = {field.strip() for field in rows[0]}
    if first & set(columns):
        return False
    return any(row[0].strip() == rows[0][0].strip() for row in rows[1:])


def detect_format(path: Path, text: str, columns: tuple[str, str] = ("text", "label")) -> str:
    suffix = path.suffix.lower()
    if suffix == ".tsv" and _headerless_sms(text, columns):
        return "sms"
    if suffix in _EXTENSIONS:
        return _EXTENSIONS[suffix]
    if suffix in {"", ".txt"} and _looks_like_sms(text):
        return "sms"
    raise DataError(
        path, None, f"cannot tell the format; name it .csv/.tsv/.jsonl or pass one of {FORMATS}"
    )


def load_dataset(
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    text_column: str = "text",
    label_column: str = "label",
    max_classes: int = 100,
) -> Dataset:
    """Read a labelled data set; format from the extension unless ``format`` is given."""
    file = Path(path).expanduser().resolve()
    where = str(file)
    if format is not None and format not in FORMATS:
        raise DataError(where, None, f"unknown format {format!r} (known: {', '.join(FORMATS)})")
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise DataError(where, None, f"cannot read: {exc.strerror or exc}") from None
    text = _decode(where, data)
    if not text.strip():
        raise DataError(where, None, "file is empty")
    kind = format or detect_format(file, text, (text_column, label_column))
    if kind == "sms":
        texts, labels, _ = _parse_sms(where, text)
    elif kind in ("csv", "tsv"):
        delimiter = "," if kind == "csv" else "\t"
        texts, labels, _ = _parse_delimited(where, text, delimiter, text_column, label_column)
    else:
        texts, labels, _ = _parse_jsonl(where, text, text_column, label_column)
    _check_classes(where, labels, label_column=label_column, max_classes=max_classes)
    return Dataset(
        texts=texts, labels=labels, source=where, sha256=hashlib.sha256(data).hexdigest()
    )


def _download(url: str, timeout: float) -> bytes:
    if not url.startswith(("http://", "https://")):
        raise DataError(url, None, "only http(s) addresses can be downloaded")
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 — scheme checked
        data: bytes = response.read(_MAX_DOWNLOAD_BYTES + 1)
    if len(data) > _MAX_DOWNLOAD_BYTES:
        raise DataError(url, None, f"download is larger than {_MAX_DOWNLOAD_BYTES} bytes")
    return data


def fetch_sms_spam(cache_dir: Path, *, url: str = SMS_SPAM_URL, timeout: float = 10) -> Path:
    """Download (once) and verify the SMS Spam Collection; returns the cached file."""
    target = Path(cache_dir) / "sms-spam" / SMS_SPAM_MEMBER
    if target.is_file() and hashlib.sha256(target.read_bytes()).hexdigest() == SMS_SPAM_SHA256:
        return target
    try:
        archive = _download(url, timeout)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        if isinstance(exc, DataError):
            raise
        reason = getattr(exc, "reason", None) or exc
        raise DataError(
            url,
            None,
            f"download failed ({reason}); without internet access, pass a local copy of the"
            " data with --data PATH or TAGLOOP_DATA=PATH",
        ) from None
    try:
        with zipfile.ZipFile(io.BytesIO(archive)) as zf:
            content = zf.read(SMS_SPAM_MEMBER)
    except (zipfile.BadZipFile, KeyError) as exc:
        raise DataError(url, None, f"not the expected zip archive ({exc})") from None
    digest = hashlib.sha256(content).hexdigest()
    if digest != SMS_SPAM_SHA256:
        raise DataError(
            url, None, f"checksum mismatch: got sha256 {digest}, expected {SMS_SPAM_SHA256}"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    # Write beside the target and rename: readers never see a half-written file.
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".download-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(content)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def resolve_dataset(dataset: str | None, data: str | None, cache_dir: Path) -> Dataset:
    """A file path (``data``) wins; otherwise a built-in data set by name."""
    if data:
        return load_dataset(data)
    if dataset is None:
        raise DataError("<none>", None, "no data: pass --data PATH or a data set name")
    if dataset not in KNOWN_DATASETS:
        known = ", ".join(KNOWN_DATASETS)
        raise DataError(dataset, None, f"unknown data set (known: {known}); or pass --data PATH")
    loaded = load_dataset(fetch_sms_spam(cache_dir), format="sms")
    return replace(loaded, source=dataset)
