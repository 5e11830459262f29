"""Issue 13: a CSV file is read exactly as written or refused with the line that is wrong."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from train_helpers import mlp_classifier, write_project

from ftstudio.cli import main
from ftstudio.core import project as project_io
from ftstudio.core.data import load_data, parse_data_config
from ftstudio.core.errors import DataError, FTStudioError

CLS3 = {"kind": "classification", "num_classes": 3}
REG1 = {"kind": "regression", "num_outputs": 1}


def rows(n: int = 12, extra: str = "") -> str:
    return "".join(f"{i},{i % 3},{i % 3}{extra}\n" for i in range(n))


def project_for(tmp_path, text: str | bytes, shape=(2,), task=CLS3, classes=3, **data):
    target = tmp_path / "t.csv"
    if isinstance(text, bytes):
        target.write_bytes(text)
    else:
        target.write_text(text, encoding="utf-8")
    return write_project(
        tmp_path / "p.ftproj",
        mlp_classifier(classes),
        list(shape),
        task,
        {"source": "csv", "path": "t.csv", **data},
    )


def refused(path, *fragments: str) -> str:
    with pytest.raises(DataError) as info:
        load_data(project_io.load(path))
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, message
    return message


# item 3: duplicate column names ------------------------------------------------------------


def test_duplicate_feature_columns_are_refused_by_name(tmp_path):
    path = project_for(tmp_path, "a,a,c,d,label\n" + "1,2,3,4,0\n5,6,7,8,1\n", shape=(4,))
    refused(path, "more than once", "'a' (columns 1, 2)")


@pytest.mark.parametrize(
    "header, named",
    [
        ("a,label,label", "'label' (columns 2, 3)"),  # the label column twice
        ("label,b,label", "'label' (columns 1, 3)"),
        ("a,b,a,b,label", "'a' (columns 1, 3); 'b' (columns 2, 4)"),  # every duplicate named
        (",,label", "'' (columns 1, 2)"),  # blank names are duplicates too
    ],
)
def test_duplicate_column_variants(tmp_path, header, named):
    width = len(header.split(","))
    body = "".join(",".join(["1"] * (width - 1) + [str(i % 3)]) + "\n" for i in range(6))
    path = project_for(tmp_path, f"{header}\n{body}", shape=(width - 1,))
    refused(path, named)


def test_duplicates_in_feature_columns_setting(tmp_path):
    with pytest.raises(DataError, match="names 'a' more than once"):
        parse_data_config({"source": "csv", "path": "t.csv", "feature_columns": ["a", "b", "a"]})


# item 4: the label among the features ------------------------------------------------------


def refused_on_read(make) -> str:
    """The project file itself is refused (its data section is checked when read), or the
    data when loaded."""
    with pytest.raises(FTStudioError) as info:
        load_data(project_io.load(make()))
    return str(info.value)


def test_label_in_feature_columns_is_refused(tmp_path):
    message = refused_on_read(
        lambda: project_for(tmp_path, "a,b,label\n" + rows(), feature_columns=["a", "label"])
    )
    assert "feature_columns" in message and "includes the label column 'label'" in message


def test_renamed_label_column_in_feature_columns_is_refused():
    with pytest.raises(DataError, match="includes the label column 'y'"):
        parse_data_config(
            {"source": "csv", "path": "t.csv", "label_column": "y", "feature_columns": ["y"]}
        )


def test_label_in_validation_feature_columns_is_refused(tmp_path):
    (tmp_path / "v.csv").write_text("a,b,label\n" + rows(6))
    message = refused_on_read(
        lambda: project_for(
            tmp_path,
            "a,b,label\n" + rows(),
            validation={"path": "v.csv", "feature_columns": ["b", "label"]},
        )
    )
    assert "includes the label column 'label'" in message


def test_features_without_the_label_still_load(tmp_path):
    path = project_for(tmp_path, "a,b,label\n" + rows(), shape=(1,), feature_columns=["b"])
    bundle = load_data(project_io.load(path))
    assert bundle.sample_shape == (1,)


# ragged rows, encodings, the csv module's field limit, NUL bytes ---------------------------


@pytest.mark.parametrize("bad", ["1,2\n", "1,2,0,9\n"])
def test_ragged_row_names_its_line(tmp_path, bad):
    path = project_for(tmp_path, "a,b,label\n" + rows(4) + bad + rows(4))
    refused(path, "line 6 has", "the header has 3 columns")


def test_ragged_row_line_counts_blank_and_quoted_multiline_rows(tmp_path):
    text = 'a,b,label\n\n1,2,0\n"3\n",4,1\n5,6\n'  # line 6 is short
    path = project_for(tmp_path, text)
    refused(path, "line 6 has 2 field(s)")


def test_latin1_csv_is_refused_naming_line_and_encoding(tmp_path):
    text = "a,b,label\n" + rows(3) + "1,2,café\n"
    path = project_for(tmp_path, text.encode("latin-1"))
    message = refused(path, "not UTF-8", "line 5", "0xe9", "Latin-1", "Save it as UTF-8")
    assert "café" not in message


def test_utf8_bom_from_spreadsheets_is_read(tmp_path):
    path = project_for(tmp_path, ("a,b,label\n" + rows()).encode("utf-8-sig"))
    assert load_data(project_io.load(path)).num_classes == 3


def test_field_over_the_csv_limit_is_one_message(tmp_path):
    huge = "9" * (csv.field_size_limit() + 10)
    path = project_for(tmp_path, "a,b,label\n" + rows(2) + f'"{huge},1,0\n')
    message = refused(path, "line 4", "cannot be read as CSV", "characters")
    assert len(message) < 400


def test_binary_file_with_nul_bytes_is_not_echoed(tmp_path):
    secret = "HOME=/root\0PATH=/usr/bin\0SECRET_TOKEN=hunter2\0"
    path = project_for(tmp_path, secret.encode())
    message = refused(path, "NUL byte", "not a CSV text file")
    assert "hunter2" not in message and "PATH" not in message


@pytest.mark.skipif(not Path("/proc/self/environ").is_file(), reason="needs Linux /proc")
def test_proc_self_environ_never_reaches_a_message(tmp_path):
    entries = Path("/proc/self/environ").read_bytes().split(b"\0")
    path = write_project(
        tmp_path / "p.ftproj", mlp_classifier(3), [2], CLS3,
        {"source": "csv", "path": "/proc/self/environ"},
    )  # fmt: skip
    message = refused(path, "data source 'csv'")
    leaked = [e for e in entries if len(e) > 8 and e.decode(errors="replace") in message]
    assert not leaked


def test_cells_are_not_quoted_in_messages(tmp_path):
    path = project_for(tmp_path, "a,b,label\n" + rows(3) + "1,password123,0\n")
    message = refused(path, "line 5, column 'b' is not a number")
    assert "password123" not in message


def test_long_header_is_summarised(tmp_path):
    header = ",".join(f"col{i}" for i in range(500))
    path = project_for(tmp_path, header + "\n" + ",".join(["1"] * 500) + "\n")
    message = refused(path, "no column 'label'", "and 488 more")
    assert len(message) < 600


def test_empty_file_is_one_message(tmp_path):
    refused(project_for(tmp_path, ""), "the file is empty")


# labels: file lines, text among numbers, one class --------------------------------------------


def test_label_out_of_range_names_the_file_line_not_the_split_index(tmp_path):
    path = project_for(tmp_path, "a,b,label\n" + rows(20) + "1,1,7\n" + rows(20))
    refused(path, "label 7 (line 22)", "out of range")


def test_label_line_counts_blank_lines(tmp_path):
    path = project_for(tmp_path, "a,b,label\n\n" + rows(5) + "\n1,1,9\n")
    refused(path, "label 9 (line 9)")


def test_missing_regression_target_names_the_line(tmp_path):
    text = "a,b,label\n" + "".join(f"{i},{i},{i * 0.5}\n" for i in range(6)) + "\n1,2,\n"
    path = project_for(tmp_path, text, task=REG1, classes=3)
    refused(path, "line 9, column 'label' is empty")


def test_nan_feature_names_the_file_line(tmp_path):
    path = project_for(tmp_path, "a,b,label\n\n" + rows(4) + "nan,1,0\n")
    refused(path, "NaN or infinite values", "line 7")


def test_one_text_label_among_numbers_says_labels_became_names(tmp_path):
    path = project_for(tmp_path, "a,b,label\n" + rows(9) + "1,1,cat\n")
    message = refused(path, "has 4 classes", "read as a class name", "line 11")
    assert message.count("Note:") == 1


def test_one_text_label_warning_reaches_the_bundle(tmp_path):
    path = project_for(tmp_path, "a,b,label\n" + rows(8, "") + "1,1,x\n", classes=4)
    project = project_io.load(path)
    project.task.num_classes = 4
    bundle = load_data(project)
    assert bundle.class_names == ["0", "1", "2", "x"]
    assert any("read as a class name" in w and "line 10" in w for w in bundle.warnings)


def test_all_text_labels_give_no_warning(tmp_path):
    text = "a,b,label\n" + "".join(f"{i},{i},{'abc'[i % 3]}\n" for i in range(9))
    bundle = load_data(project_io.load(project_for(tmp_path, text)))
    assert bundle.class_names == ["a", "b", "c"] and bundle.warnings == []


def test_one_class_data_warns(tmp_path):
    text = "a,b,label\n" + "".join(f"{i},{i},2\n" for i in range(8))
    bundle = load_data(project_io.load(project_for(tmp_path, text)))
    assert any("every training sample has the class '2'" in w for w in bundle.warnings)


def test_two_class_data_does_not_warn(tmp_path):
    text = "a,b,label\n" + "".join(f"{i},{i},{i % 2}\n" for i in range(8))
    assert load_data(project_io.load(project_for(tmp_path, text))).warnings == []


def test_cli_train_prints_data_warnings_even_when_quiet(tmp_path, capsys):
    text = "a,b,label\n" + "".join(f"{i},{i},1\n" for i in range(8))
    path = project_for(tmp_path, text)
    assert main(["train", str(path), "--quiet", "--epochs", "1", "--out", str(tmp_path / "r")]) == 0
    err = capsys.readouterr().err
    assert "warning: data source 'csv'" in err and "every training sample" in err


@pytest.mark.parametrize("command", ["train", "evaluate"])
def test_cli_latin1_csv_is_one_line_and_exit_1(tmp_path, capsys, command):
    extra = []
    if command == "evaluate":  # a real checkpoint, from the same table before it was re-saved
        project_for(tmp_path, "a,b,label\n" + rows(12))
        run = tmp_path / "run"
        assert (
            main(
                ["train", str(tmp_path / "p.ftproj"), "--epochs", "1", "--out", str(run), "--quiet"]
            )
            == 0
        )
        extra = ["--checkpoint", str(run / "checkpoints" / "last.pt")]
        capsys.readouterr()
    path = project_for(tmp_path, ("a,b,label\n" + rows(3) + "1,2,é\n").encode("latin-1"))
    assert main([command, str(path), *extra]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert "not UTF-8" in err


@pytest.mark.parametrize(
    "text, said",
    [
        (("a,b,label\n" + rows(3) + "1,2,é\n").encode("latin-1"), "not UTF-8"),
        ("a,a,label\n" + rows(3), "more than once"),
        ("a,b,label\n" + rows(3) + "1,2\n", "line 5 has 2 field(s)"),
    ],
)
def test_cli_validate_data_reports_the_csv_problem_in_one_line(tmp_path, capsys, text, said):
    path = project_for(tmp_path, text)
    assert main(["validate", str(path), "--data"]) == 1
    out = capsys.readouterr().out
    problem = [line for line in out.splitlines() if line.startswith("Invalid data: ")]
    assert len(problem) == 1 and said in problem[0] and "Traceback" not in out
