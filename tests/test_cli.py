"""The CLI through click's test runner, on a real SQLite registry and the shared data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tagloop.cli import main
from tagloop.ml.backends.auto import default_candidates

# One xdist worker runs this module, so the two versions in ``home`` are trained once per
# run, not once per worker that happens to get one of its tests.
pytestmark = pytest.mark.xdist_group("cli")

SPAM = "WINNER!! You have won a £1000 cash prize. Call 09061701461 to claim now"
HAM = "see you at the station at 6"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, sms_path: Path) -> dict[str, str]:
    """A registry with two versions trained through the CLI (the second one active)."""
    env = {"TAGLOOP_HOME": str(tmp_path_factory.mktemp("home")), "TAGLOOP_DATABASE_URL": ""}
    runner = CliRunner(env=env)
    first = runner.invoke(main, ["train", "--data", str(sms_path), "--json"])
    assert first.exit_code == 0, first.output
    described = json.loads(first.output)
    assert (described["id"], described["active"]) == (1, True)  # the first version serves
    assert described["created_at"] and described["data"]["rows"] == 4456
    # The second version only has to exist and serve (the tests read the first one's
    # metrics): two folds instead of five take 30-40% less CPU.
    args = ["train", "--data", str(sms_path), "--seed", "1", "--folds", "2", "--activate"]
    second = runner.invoke(main, [*args, "--description", "b"])
    assert second.exit_code == 0, second.output
    assert "version 2" in second.output and "(active)" in second.output
    return env


def run(env: dict[str, str], *args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner(env=env).invoke(main, list(args), input=input)


def test_train_json_describes_the_version(home: dict[str, str]) -> None:
    result = run(home, "models", "show", "1")
    version = json.loads(result.output)
    assert version["backend"] == "auto"
    assert version["labels"] == ["ham", "spam"]
    assert version["data"]["rows"] == 4456
    assert len(version["data"]["sha256"]) == 64
    # Every row trained on, every row scored once by a fold model that did not see it.
    split = version["eval_split"]
    assert split["method"] == "cross-validation" and split["folds"] == 5
    assert split["train_rows"] == version["metrics"]["n"] == 4456
    assert version["metrics"]["accuracy"] > 0.97
    cv = version["metrics"]["cv"]
    assert cv["folds"] == 5 and sum(cv["fold_rows"]) == 4456
    assert 0 < cv["sd"]["accuracy"] < 0.02 and cv["mean"]["mcc"] > 0.9
    board = version["metrics"]["selection"]["leaderboard"]
    assert {e["candidate"] for e in board} == set(default_candidates())
    # Every candidate is scored or says why not (the hybrid, when installed, by its estimate).
    assert all(e["status"] == "scored" or e["reason"] for e in board)
    assert sum(1 for e in board if e.get("selected")) == 1
    assert version["artifact"]["sha256"] and version["library_versions"]["scikit-learn"]
    assert version["active"] is False


def test_models_show_prints_the_leaderboard(home: dict[str, str]) -> None:
    lines = run(home, "models", "show", "1", "--leaderboard").output.splitlines()
    assert lines[0].startswith("candidates, by pooled out-of-fold macro_f1")
    selected = [line for line in lines if line.endswith("<- selected")]
    assert len(selected) == 1 and len(lines) == 2 + len(default_candidates())


def test_the_first_version_is_activated_and_says_why(home: dict[str, str]) -> None:
    history = run(home, "models", "history").output.splitlines()
    assert "the first version" in history[-1] and history[-1].split()[3] == "v1"


def test_train_shows_progress_and_reads_tagloop_data(tmp_path: Path, sms_path: Path) -> None:
    small = tmp_path / "small.txt"  # SMS Spam Collection format, told by its content
    small.write_text("\n".join(sms_path.read_text(encoding="utf-8").splitlines()[:300]) + "\n")
    env = {"TAGLOOP_HOME": str(tmp_path / "home"), "TAGLOOP_DATABASE_URL": ""}
    result = run({**env, "TAGLOOP_DATA": str(small)}, "train")
    assert result.exit_code == 0, result.output
    assert "100%" in result.output  # the progress bar, finished
    assert "fitted on all 300 rows" in result.output and "(active)" in result.output
    assert "<- selected" in result.output  # the leaderboard
    shown = json.loads(run(env, "models", "show", "1").output)
    assert shown["data"]["source"] == str(small.resolve()) and shown["data"]["rows"] == 300


def test_too_many_labels_points_at_the_limit(home: dict[str, str], tmp_path: Path) -> None:
    data = tmp_path / "many.csv"
    data.write_text("text,label\n" + "".join(f"message {i},topic{i % 5}\n" for i in range(40)))
    refused = run(home, "train", "--data", str(data), "--max-classes", "4")
    assert refused.exit_code == 1
    assert str(data) in refused.output and "5 distinct values" in refused.output
    assert "--max-classes" in refused.output


def test_models_list_marks_the_active_version(home: dict[str, str]) -> None:
    result = run(home, "models", "list")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[1].startswith("*") and lines[1].split()[1] == "2"
    assert lines[2].split()[0] == "1"
    # Training and evaluation rows: cross-validation scores every row of the file once,
    # and the registered model is fitted on all of them.
    assert lines[0].split()[4:6] == ["train", "eval"]
    train, test = (int(n.replace(",", "")) for n in lines[2].split()[4:6])
    assert train == test == 4456


def test_predict_arguments_stdin_and_file(home: dict[str, str], tmp_path: Path) -> None:
    by_args = [json.loads(line) for line in run(home, "predict", SPAM, HAM).output.splitlines()]
    assert [r["label"] for r in by_args] == ["spam", "ham"]
    assert by_args[0]["model_version"] == 2
    assert sum(by_args[0]["probabilities"].values()) == pytest.approx(1.0)

    by_stdin = run(home, "predict", input=f"{SPAM}\n\n{HAM}\n")
    assert [json.loads(line)["label"] for line in by_stdin.output.splitlines()] == ["spam", "ham"]

    file = tmp_path / "texts.txt"
    file.write_text(f"{HAM}\n{SPAM}\n")
    by_file = run(home, "predict", "--file", str(file), "--explain", "--version", "1")
    rows = [json.loads(line) for line in by_file.output.splitlines()]
    assert [r["label"] for r in rows] == ["ham", "spam"]
    assert rows[1]["model_version"] == 1
    token = rows[1]["explanation"][0]
    assert SPAM[token["start"] : token["end"]].lower() == token["token"].lower()


def test_predict_file_with_bad_bytes_names_file_and_line(
    home: dict[str, str], tmp_path: Path
) -> None:
    file = tmp_path / "bad.txt"
    file.write_bytes(b"fine\nalso fine\n\xff\xfe broken\n")
    result = run(home, "predict", "--file", str(file))
    assert result.exit_code == 1
    assert f"{file}:3: not valid UTF-8" in result.output


def test_evaluate_prints_metrics_and_json(home: dict[str, str], sms_path: Path) -> None:
    text = run(home, "evaluate", "1", "--data", str(sms_path))
    assert text.exit_code == 0 and "confusion matrix" in text.output
    data = json.loads(run(home, "evaluate", "1", "--data", str(sms_path), "--json").output)
    assert data["metrics"]["n"] == 4456
    assert sum(map(sum, data["metrics"]["confusion_matrix"]["matrix"])) == 4456


def test_activate_rollback_delete(home: dict[str, str]) -> None:
    assert run(home, "models", "activate", "1", "--reason", "try v1").exit_code == 0
    assert json.loads(run(home, "models", "show", "1").output)["active"] is True
    refused = run(home, "models", "delete", "1", "--yes")
    assert refused.exit_code == 1 and "is active" in refused.output
    back = run(home, "models", "rollback")
    assert back.exit_code == 0 and "version 2 is active" in back.output
    history = run(home, "models", "history").output.splitlines()
    assert history[0].split()[2] == "rollback" and "try v1" in history[1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["models", "show", "99"], "model version 99 does not exist"),
        (["models", "activate", "x"], "'x' is not a valid integer"),
        (["train", "--dataset", "sms-spam", "--data", "x.tsv"], "either --dataset or --data"),
        (["train", "--data", "/nonexistent/file.tsv"], "/nonexistent/file.tsv"),
        (["train", "--dataset", "nope"], "nope"),
        (["train", "--backend", "nope", "--data", "{data}"], "unknown backend 'nope'"),
        (["train", "--param", "novalue", "--data", "{data}"], "expected KEY=VALUE"),
        (
            ["train", "--backend", "sklearn", "--param", "alhpa=2", "--data", "{data}"],
            "has no parameter 'alhpa'",
        ),
        (
            ["train", "--backend", "sklearn", "--param", "alpha=abc", "--data", "{data}"],
            "'alpha' must be a number",
        ),
        (
            ["train", "--backend", "sklearn", "--param", "seed=3", "--data", "{data}"],
            "set the seed with --seed",
        ),
        (
            ["train", "--backend", "sklearn", "--param", "ngram_range=[5,2]", "--data", "{data}"],
            "ngram_range must be",
        ),
        (["train", "--folds", "1", "--data", "{data}"], "--folds"),
        (["train", "--cost", "legit=2", "--data", "{data}"], "'legit' that the data does not have"),
        (["train", "--cost", "ham=-1", "--data", "{data}"], "positive WEIGHT"),
        (["train", "--cost", "ham", "--data", "{data}"], "LABEL=WEIGHT"),
        (["train", "--backend", "sklearn", "--budget", "5", "--data", "{data}"], "auto only"),
        (["train", "--param", 'candidates=["x"]', "--data", "{data}"], "unknown candidate"),
        (["models", "show", "99", "--leaderboard"], "model version 99 does not exist"),
        (["predict", "--version", "99", "hi"], "model version 99 does not exist"),
        (["evaluate", "1"], "Missing option '--data'"),
        (["nonsense"], "No such command 'nonsense'"),
    ],
)
def test_bad_arguments_get_clear_errors(
    home: dict[str, str], sms_path: Path, args: list[str], message: str
) -> None:
    result = run(home, *[a.replace("{data}", str(sms_path)) for a in args])
    assert result.exit_code != 0
    assert message in result.output


def test_train_reports_bad_data_with_file_and_line(home: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.tsv"
    bad.write_text("ham\thello there\nspam\t   \n")
    result = run(home, "train", "--data", str(bad), "--format", "sms")
    assert result.exit_code == 1
    assert f"{bad}:2" in result.output


def test_every_command_has_help() -> None:
    for args in (["--help"], ["train", "-h"], ["models", "list", "--help"], ["serve", "--help"]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0 and "Usage:" in result.output


def test_predict_without_active_model(tmp_path: Path) -> None:
    env = {"TAGLOOP_HOME": str(tmp_path), "TAGLOOP_DATABASE_URL": ""}
    result = run(env, "predict", "hello")
    assert result.exit_code == 1 and "no active model" in result.output


def test_predict_reads_jsonl_csv_and_tsv_texts_with_newlines(
    home: dict[str, str], tmp_path: Path
) -> None:
    spam_lines = "WINNER!!\nYou have won a £1000 cash prize.\nCall 09061701461 to claim now"
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_text(
        json.dumps({"id": 7, "text": spam_lines, "label": "spam"})
        + "\n\n"
        + json.dumps({"id": 8, "text": HAM})
        + "\n"
    )
    out = [
        json.loads(line) for line in run(home, "predict", "--file", str(jsonl)).output.splitlines()
    ]
    assert [o["text"] for o in out] == [spam_lines, HAM]
    assert [o["label"] for o in out] == ["spam", "ham"]
    assert out[0]["fields"] == {"id": 7, "label": "spam"} and out[1]["fields"] == {"id": 8}

    csv_file = tmp_path / "in.csv"
    csv_file.write_text(f'ref,body\nA1,"{spam_lines}"\nB2,{HAM}\n')
    result = run(home, "predict", "--file", str(csv_file), "--text-column", "body")
    out = [json.loads(line) for line in result.output.splitlines()]
    assert [(o["text"], o["label"], o["fields"]) for o in out] == [
        (spam_lines, "spam", {"ref": "A1"}),
        (HAM, "ham", {"ref": "B2"}),
    ]
    # The same rows as TSV on stdin, told by --format.
    tsv = f'ref\ttext\nA1\t"{spam_lines}"\nB2\t{HAM}\n'
    out = [
        json.loads(x)
        for x in run(home, "predict", "--format", "tsv", input=tsv).output.splitlines()
    ]
    assert [o["fields"]["ref"] for o in out] == ["A1", "B2"] and out[0]["text"] == spam_lines


@pytest.mark.parametrize(
    ("name", "content", "args", "message"),
    [
        ("bad.jsonl", '{"text": "fine"}\n{"text": \n', [], "bad.jsonl:2: not valid JSON"),
        ("bad.jsonl", '{"text": "fine"}\n{"body": "x"}\n', [], "bad.jsonl:2: no 'text' field"),
        ("bad.jsonl", '["a list"]\n', [], "bad.jsonl:1: expected a JSON object"),
        ("bad.csv", "id,body\n1,hello\n", [], "bad.csv:1: no column 'text'"),
        ("bad.csv", 'text,id\nhi,1\n"two\nlines",2,extra\n', [], "bad.csv:3: 3 fields"),
        ("bad.csv", "text,id\n   ,1\n", [], "bad.csv:2: 'text' must be a non-blank"),
    ],
)
def test_predict_names_the_file_and_line_of_a_bad_row(
    home: dict[str, str], tmp_path: Path, name: str, content: str, args: list[str], message: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    result = run(home, "predict", "--file", str(path), *args)
    assert result.exit_code == 1
    assert message in result.output


def test_ensure_model_keeps_its_costs_in_the_project_and_checks_them(tmp_path: Path) -> None:
    env = {"TAGLOOP_HOME": str(tmp_path / "home"), "TAGLOOP_DATABASE_URL": ""}
    data = tmp_path / "small.csv"
    rows = [f"win a cash prize now {i},spam" for i in range(20)]
    rows += [f"see you at lunch on day {i},legit" for i in range(20)]
    data.write_text("text,label\n" + "\n".join(rows) + "\n", encoding="utf-8")
    wrong = run(env, "ensure-model", "--data", str(data), "--cost", "ham=2")
    assert wrong.exit_code == 1 and "'ham' that the data does not have" in wrong.output
    assert "no active model" in run(env, "predict", "hello").output  # nothing was trained
    made = run(env, "ensure-model", "--data", str(data), "--cost", "legit=2")
    assert made.exit_code == 0, made.output
    shown = json.loads(run(env, "models", "show", "1").output)
    assert shown["params"]["class_weight"] == {"legit": 2.0}
    again = run(env, "train", "--data", str(data), "--backend", "linear", "--json")
    assert json.loads(again.output)["params"]["class_weight"] == {"legit": 2.0}  # the project's
