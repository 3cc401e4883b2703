import hashlib
import http.server
import io
import json
import threading
import zipfile
from pathlib import Path

import pytest

from tagloop.ml import datasets
from tagloop.ml.datasets import DataError, Dataset, fetch_sms_spam, load_dataset, resolve_dataset

SMS_ROWS = "ham\tSee you at 6\nspam\tWIN a prize now\nham\tOk lar...\n"


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


# -- formats ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("data", SMS_ROWS),
        ("data.txt", SMS_ROWS.replace("\n", "\r\n")),
        ("spam.tsv", SMS_ROWS),  # the README's first line: label<TAB>text, no header
        ("data.csv", 'label,text\nham,See you at 6\nspam,"WIN a prize now"\nham,"Ok lar..."\n'),
        ("data.tsv", "text\tlabel\nSee you at 6\tham\nWIN a prize now\tspam\nOk lar...\tham\n"),
        (
            "data.jsonl",
            "".join(
                json.dumps({"text": t, "label": lab}) + "\n"
                for lab, t in (
                    ("ham", "See you at 6"),
                    ("spam", "WIN a prize now"),
                    ("ham", "Ok lar..."),
                )
            ),
        ),
    ],
)
def test_every_format_loads_the_same_rows(tmp_path, name, content):
    path = write(tmp_path, name, content)
    ds = load_dataset(path)
    assert ds.texts == ["See you at 6", "WIN a prize now", "Ok lar..."]
    assert ds.labels == ["ham", "spam", "ham"]
    assert ds.rows == 3 and ds.classes == ["ham", "spam"]
    assert ds.source == str(path.resolve())
    assert ds.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_tsv_whose_header_lacks_the_text_column_says_which_format_to_add(tmp_path):
    # Two fields a line, but the first line is a header (its first field appears once).
    path = write(tmp_path, "spam.tsv", "category\tbody\nham\tSee you\nspam\tWIN now\n")
    with pytest.raises(DataError, match="add --format sms"):
        load_dataset(path)
    # A header that names the columns is a header, even with two fields a line.
    path = write(tmp_path, "named.tsv", "label\ttext\nham\tSee you\nspam\tWIN\nham\tOk\n")
    assert load_dataset(path).texts == ["See you", "WIN", "Ok"]


def test_column_names_and_format_can_be_chosen(tmp_path):
    path = write(tmp_path, "export.dat", "msg,tag,id\nhello there,a,1\nbuy now,b,2\n")
    ds = load_dataset(path, format="csv", text_column="msg", label_column="tag")
    assert ds.texts == ["hello there", "buy now"] and ds.labels == ["a", "b"]


def test_multiline_csv_fields_and_texts_with_tabs_survive(tmp_path):
    path = write(tmp_path, "d.csv", 'text,label\n"line one\nline two",a\n"tab\there",b\n')
    assert load_dataset(path).texts == ["line one\nline two", "tab\there"]


def test_numeric_jsonl_labels_become_strings(tmp_path):
    path = write(tmp_path, "d.jsonl", '{"text": "x y", "label": 0}\n{"text": "z", "label": 1}\n')
    assert load_dataset(path).labels == ["0", "1"]


def test_the_shared_sms_corpus(sms, sms_path):
    assert sms.rows == 4456
    assert sms.classes == ["ham", "spam"]
    assert sms.labels.count("spam") == 602
    assert sms.sha256 == "75e60072b57982a90d320a67ad892b5d9a2eac8bd21168e40656986319f88f14"


def test_from_rows_fingerprints_the_content():
    a = Dataset.from_rows(["a b", "c"], ["x", "y"], source="feedback")
    assert a.sha256 == Dataset.from_rows(["a b", "c"], ["x", "y"], source="other").sha256
    assert a.sha256 != Dataset.from_rows(["a", "b c"], ["x", "y"], source="feedback").sha256
    assert a.sha256 != Dataset.from_rows(["a b", "c"], ["y", "x"], source="feedback").sha256
    with pytest.raises(DataError, match="2 texts but 1 labels"):
        Dataset.from_rows(["a", "b"], ["x"], source="feedback")


# -- bad input: every error names the file and, where there is one, the line ------------------
@pytest.mark.parametrize(
    ("name", "content", "line", "message"),
    [
        ("d.tsv", "", None, "file is empty"),
        ("d.csv", "  \n\n", None, "file is empty"),
        ("d.csv", "body,label\nhi,a\n", 1, "no text column 'text' (columns: 'body', 'label')"),
        ("d.csv", "text,kind\nhi,a\n", 1, "no label column 'label'"),
        ("d.csv", "text,label\nhi,a\n   ,b\n", 3, "text is blank"),
        ("d.csv", "text,label\nhi,a\nho\n", 3, "malformed line: 1 fields, header has 2"),
        ("d", "ham\thi\nspam\t \t\n", 2, "text is blank"),
        ("d", "ham\thi\nspam\tbuy\nno tab here\n", 3, "malformed line: expected label<TAB>text"),
        ("d", "ham\thi\nham\tho\n", None, "only one class ('ham')"),
        ("d.jsonl", '{"text": "a", "label": "x"}\n{"text": "b", "label"\n', 2, "bad JSON"),
        ("d.jsonl", '{"text": "a", "label": "x"}\n[1, 2]\n', 2, "expected a JSON object"),
        ("d.jsonl", '{"body": "a", "label": "x"}\n', 1, "no text field 'text' (fields: 'body'"),
        ("d.jsonl", '{"text": 5, "label": "x"}\n', 1, "text must be a string"),
        ("d.jsonl", '{"text": "a", "label": ""}\n', 1, "label is blank"),
        ("notes.md", "# hello\n", None, "cannot tell the format"),
    ],
)
def test_bad_files_are_reported_with_file_and_line(tmp_path, name, content, line, message):
    path = write(tmp_path, name, content)
    with pytest.raises(DataError) as info:
        load_dataset(path)
    err = info.value
    assert err.path == str(path.resolve())
    assert err.line == line
    assert message in err.message
    where = err.path if line is None else f"{err.path}:{line}"
    assert str(err) == f"{where}: {err.message}"


def test_undecodable_bytes_report_their_line(tmp_path):
    path = write(tmp_path, "d", b"ham\tfine\nspam\talso fine\nham\tbad \xff byte\n")
    with pytest.raises(DataError, match=r":3: not valid UTF-8") as info:
        load_dataset(path)
    assert info.value.line == 3


def test_a_label_column_with_too_many_values_is_questioned(tmp_path):
    rows = "".join(f"message {i},{i}\n" for i in range(742))
    path = write(tmp_path, "d.csv", "text,label\n" + rows)
    with pytest.raises(
        DataError, match="label column 'label' has 742 distinct values, more than 100 — is it"
    ):
        load_dataset(path)
    assert load_dataset(path, max_classes=1000).rows == 742


def test_missing_file_and_unknown_format(tmp_path):
    with pytest.raises(DataError, match="cannot read"):
        load_dataset(tmp_path / "nope.csv")
    path = write(tmp_path, "d.csv", "text,label\na,b\nc,d\n")
    with pytest.raises(DataError, match="unknown format 'xml'"):
        load_dataset(path, format="xml")


# -- the built-in download, exercised against a local server ---------------------------------
def _zip(content: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("SMSSpamCollection", content)
        zf.writestr("readme", "test archive")
    return buffer.getvalue()


@pytest.fixture
def serve():
    """Serve one payload on 127.0.0.1; yields a function payload -> URL."""
    servers = []

    def start(payload: bytes) -> str:
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}/sms.zip"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_download_verifies_caches_and_loads(tmp_path, serve, monkeypatch):
    content = SMS_ROWS.encode()
    monkeypatch.setattr(datasets, "SMS_SPAM_SHA256", hashlib.sha256(content).hexdigest())
    url = serve(_zip(content))
    path = fetch_sms_spam(tmp_path, url=url)
    assert path.read_bytes() == content
    assert [p.name for p in path.parent.iterdir()] == ["SMSSpamCollection"]  # no temp left
    # Cached: a second call needs no server at all.
    assert fetch_sms_spam(tmp_path, url="http://127.0.0.1:9/") == path
    ds = resolve_dataset("sms-spam", None, tmp_path)
    assert ds.source == "sms-spam" and ds.rows == 3


def test_download_with_the_wrong_checksum_is_refused(tmp_path, serve):
    url = serve(_zip(b"ham\tnot the real corpus\nspam\tx\n"))
    with pytest.raises(DataError, match="checksum mismatch"):
        fetch_sms_spam(tmp_path, url=url)
    assert not (tmp_path / "sms-spam" / "SMSSpamCollection").exists()


def test_a_download_that_is_not_a_zip_is_refused(tmp_path, serve):
    with pytest.raises(DataError, match="not the expected zip archive"):
        fetch_sms_spam(tmp_path, url=serve(b"<html>maintenance</html>"))


def test_failed_download_says_how_to_use_a_local_file(tmp_path):
    with pytest.raises(DataError) as info:
        fetch_sms_spam(tmp_path, url="http://127.0.0.1:9/", timeout=2)
    message = str(info.value)
    assert "download failed" in message
    assert "--data PATH" in message and "TAGLOOP_DATA" in message


def test_resolve_prefers_a_file_and_names_known_datasets(tmp_path):
    path = write(tmp_path, "mine.tsv", "text\tlabel\na\tx\nb\ty\n")
    assert resolve_dataset("sms-spam", str(path), tmp_path).source == str(path.resolve())
    with pytest.raises(DataError, match=r"unknown data set \(known: sms-spam\)"):
        resolve_dataset("imdb", None, tmp_path)
    with pytest.raises(DataError, match="no data"):
        resolve_dataset(None, None, tmp_path)
