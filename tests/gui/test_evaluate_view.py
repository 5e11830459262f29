"""Issue 8: the Evaluate view and Try a sample in the window (pytest-qt, offscreen).

One small digits project is trained once for the module (``ftstudio train``, its run folder
beside the project, as a user's would be)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import numpy as np
import pytest
import torch
from PIL import Image
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from ftstudio.cli import main
from ftstudio.core import project as project_io
from ftstudio.core.data import load_data
from ftstudio.core.export import export_project
from ftstudio.core.training import checkpoint as ckpt
from ftstudio.core.training.evaluation import load_trained_model
from ftstudio.gui import qt_evaluate

PROJECT = {
    "format": "ftstudio-project",
    "version": 1,
    "name": "digits-eval",
    "input": {"shape": [1, 8, 8], "dtype": "float32"},
    "task": {"kind": "classification", "num_classes": 5},
    "blocks": [
        {"id": "cnn", "type": "small_cnn", "params": {"width": 4, "stages": 1}},
        {"id": "head", "type": "linear_classifier", "params": {"classes": 5}},
    ],
    "data": {"source": "digits", "classes": "0-4", "val_fraction": 0.2},
    "training": {"epochs": 1, "batch_size": 64, "lr": 0.01, "seed": 0, "device": "cpu"},
}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("eval")
    path = folder / "digits-eval.ftproj"
    project_io.save(project_io.from_dict(PROJECT, path.name), path)
    assert main(["train", str(path), "--quiet"]) == 0  # runs/digits-eval-<time> beside it
    (run,) = (folder / "runs").iterdir()
    return path, run / "checkpoints" / "best.pt"


def evaluated_window(make_window, qtbot, trained):
    path, best = trained
    window = make_window(project=project_io.load(path))
    panel = window.evaluation.evaluate
    assert panel.picker.checkpoint() == best  # the newest run's best checkpoint comes first
    assert panel.evaluate()
    qtbot.waitUntil(lambda: not panel.running, timeout=60000)
    assert panel.last_error is None and panel.result is not None
    return window, panel


def independent_predictions(path, best):
    """The validation labels and the model's argmax, computed here without the view."""
    project = project_io.load(path)
    data = load_data(project, standardizer=ckpt.saved_standardizer(best))
    x, y = data.val.tensors
    with torch.no_grad():
        predicted = load_trained_model(project, best)(x).argmax(-1)
    return y, predicted


def test_matrix_counts_equal_the_cli_and_a_cell_lists_exactly_its_samples(
    make_window, qtbot, trained, capsys, monkeypatch
):
    path, best = trained
    threads = []
    real = qt_evaluate.evaluate_checkpoint

    def recording(*args, **kwargs):
        threads.append(threading.get_ident())
        return real(*args, **kwargs)

    monkeypatch.setattr(qt_evaluate, "evaluate_checkpoint", recording)
    window, panel = evaluated_window(make_window, qtbot, trained)
    assert threads and threads[0] != threading.get_ident()  # evaluated off the GUI thread

    capsys.readouterr()
    assert main(["evaluate", str(path), "--checkpoint", str(best), "--json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    n = len(cli["confusion"])
    shown = [[int(panel.matrix.item(r, c).text()) for c in range(n)] for r in range(n)]
    assert shown == cli["confusion"]
    assert panel.metrics.rowCount() == n
    assert int(panel.metrics.item(0, 4).text()) == cli["per_class"][0]["support"]
    assert f"{cli['accuracy']:.1%}" in panel.summary.text()

    y, predicted = independent_predictions(path, best)
    # the fullest off-diagonal cell (a diagonal one when the model makes no mistake)
    cells = [(shown[t][p], t, p) for t in range(n) for p in range(n) if t != p]
    count, t, p = max(cells)
    if count == 0:
        t = p = 0
    rect = panel.matrix.visualItemRect(panel.matrix.item(t, p))
    qtbot.mouseClick(panel.matrix.viewport(), Qt.LeftButton, pos=rect.center())
    expected = sorted(torch.nonzero((y == t) & (predicted == p)).flatten().tolist())
    listed = panel.samples.shown_indices(panel.result)
    assert sorted(i for i, _ in listed) == expected
    assert panel.samples.rowCount() == len(expected) == shown[t][p]
    names = cli["classes"]
    for row in range(panel.samples.rowCount()):
        assert panel.samples.item(row, 1).text() == names[t]
        assert panel.samples.item(row, 2).text() == names[p]
        assert panel.samples.item(row, 3).text().endswith("%")
        assert not panel.samples.item(row, 0).icon().isNull()  # a digit's thumbnail


def test_closing_during_an_evaluation_leaves_no_thread(make_window, qtbot, trained, leak_scan):
    path, _ = trained
    window = make_window(project=project_io.load(path))
    panel = window.evaluation.evaluate
    assert panel.evaluate()
    assert panel.running  # returned at once: the work is on its own thread
    window.close()
    assert not panel.running and panel.task.thread is None
    assert not [leak for leak in leak_scan() if "evaluate" in leak]


def test_try_a_sample_top_k_equals_exported_predict_py(make_window, qtbot, trained, tmp_path):
    path, best = trained
    project = project_io.load(path)
    export_project(project, tmp_path / "export", best)
    image = tmp_path / "digit.png"
    from sklearn.datasets import load_digits

    pixels = (load_digits().images[3] / 16 * 255).astype("uint8")
    Image.fromarray(pixels).resize((40, 40)).save(image)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(  # the exported predict.py itself, without ftstudio on the path
        [sys.executable, "predict.py", str(image), "--top-k", "5", "--json"],
        cwd=tmp_path / "export",
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    (record,) = json.loads(done.stdout)
    classes = [c["class"] for c in record["top_k"]]
    probs = [c["p"] for c in record["top_k"]]

    window = make_window(project=project)
    panel = window.evaluation.try_sample
    window.evaluation.show_tab(panel)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(image))])
    drop = QDropEvent(QPointF(5, 5), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    panel.dropEvent(drop)  # dropped on the panel
    qtbot.waitUntil(lambda: panel.prediction is not None and not panel.running, timeout=60000)
    assert panel.last_error is None
    assert [name for name, _ in panel.prediction.top] == classes
    assert [p for _, p in panel.prediction.top] == pytest.approx(probs, abs=2e-6)
    labels = [panel.bars.itemAtPosition(i, 0).widget().text() for i in range(5)]
    bars = [panel.bars.itemAtPosition(i, 1).widget() for i in range(5)]
    assert labels == classes
    assert [bar.format() for bar in bars] == [f"{p:.1%}" for p in probs]
    assert bars[0].value() >= bars[-1].value()


def test_try_a_sample_csv_row_and_a_bad_file(make_window, qtbot, trained, tmp_path):
    path, best = trained
    window = make_window(project=project_io.load(path))
    panel = window.evaluation.try_sample
    x = np.random.default_rng(0).uniform(0, 16, size=(3, 64))
    rows = tmp_path / "rows.csv"
    rows.write_text("\n".join(",".join(f"{v:.3f}" for v in r) for r in x))
    assert panel.open(rows)
    qtbot.waitUntil(lambda: panel.prediction is not None and not panel.running, timeout=60000)
    first = panel.prediction.top
    assert panel.row.maximum() == 2  # three rows: choose one
    panel.row.setValue(2)
    qtbot.waitUntil(lambda: panel.prediction.top != first and not panel.running, timeout=60000)
    from ftstudio.core.prediction import Predictor

    assert panel.prediction.top == Predictor(project_io.load(path), best).predict(rows, 2).top
    bad = tmp_path / "bad.npz"
    np.savez(bad, X=np.zeros((2, 3)))
    assert panel.open(bad)
    qtbot.waitUntil(lambda: not panel.running and panel.last_error is not None, timeout=60000)
    assert "[1, 8, 8]" in panel.last_error and "Traceback" not in panel.last_error
    assert panel.bars.count() == 0


def trained_project(folder, raw):
    path = folder / f"{raw['name']}.ftproj"
    project_io.save(project_io.from_dict(raw, path.name), path)
    assert main(["train", str(path), "--quiet"]) == 0
    return path


def test_token_view_lists_token_positions(make_window, qtbot, tmp_path):
    raw = {
        **PROJECT,
        "name": "tokens",
        "input": {"shape": [100, 128], "dtype": "float32"},
        "task": {"kind": "token_classification", "num_classes": 10},
        "blocks": [
            {"id": "enc", "type": "mlp", "params": {"hidden": 8, "layers": 1}},
            {"id": "head", "type": "token_classifier", "params": {"classes": 10}},
        ],
        "data": {"source": "synthetic-sequence", "samples": 40, "val_fraction": 0.25},
    }
    window = make_window(project=project_io.load(trained_project(tmp_path, raw)))
    panel = window.evaluation.evaluate
    assert panel.evaluate()
    qtbot.waitUntil(lambda: not panel.running, timeout=60000)
    result = panel.result
    assert panel.last_error is None and "per-token accuracy" in panel.summary.text()
    assert sum(int(panel.matrix.item(r, c).text()) for r in range(10) for c in range(10)) == 1000
    t = max(range(10), key=lambda c: result.confusion[c][c])
    panel.matrix.choose(t, t)
    listed = panel.samples.shown_indices(result)
    assert len(listed) == result.confusion[t][t]
    assert all(0 <= position < 100 for _, position in listed)
    assert panel.samples.item(0, 0).text().startswith("sequence ")


def test_regression_scatter_with_mae_and_rmse(make_window, qtbot, tmp_path):
    x = np.random.default_rng(0).normal(size=(40, 4)).astype("float32")
    np.savez(tmp_path / "reg.npz", X=x, y=x.sum(1))
    raw = {
        **PROJECT,
        "name": "reg",
        "input": {"shape": [4], "dtype": "float32"},
        "task": {"kind": "regression", "num_outputs": 1},
        "blocks": [
            {"id": "enc", "type": "mlp", "params": {"hidden": 8, "layers": 1}},
            {"id": "head", "type": "regression_head", "params": {"outputs": 1}},
        ],
        "data": {"source": "tensor-file", "path": "reg.npz", "val_fraction": 0.25},
    }
    window = make_window(project=project_io.load(trained_project(tmp_path, raw)))
    panel = window.evaluation.evaluate
    assert panel.evaluate()
    qtbot.waitUntil(lambda: not panel.running, timeout=60000)
    result = panel.result
    assert f"MAE {result.mae:.4g}" in panel.summary.text()
    assert f"RMSE {result.rmse:.4g}" in panel.summary.text()
    assert panel.views.currentWidget() is panel.plot_holder
    points = panel.scatter.getPlotItem().listDataItems()[0]
    xs, ys = points.getData()
    assert np.allclose(xs, result.targets.flatten()) and np.allclose(
        ys, result.predictions.flatten()
    )


def test_image_folder_cell_shows_its_files_as_thumbnails(make_window, qtbot, tmp_path):
    rng = np.random.default_rng(0)
    for c, name in enumerate(("cats", "dogs")):
        (tmp_path / "images" / name).mkdir(parents=True)
        for i in range(6):
            pixels = rng.integers(0, 256, size=(20, 24, 3)) // (c + 1)
            Image.fromarray(pixels.astype("uint8")).save(tmp_path / "images" / name / f"{i}.jpg")
    raw = {
        **PROJECT,
        "name": "pets",
        "input": {"shape": [3, 8, 8], "dtype": "float32"},
        "task": {"kind": "classification", "num_classes": 2},
        "blocks": [
            {"id": "cnn", "type": "small_cnn", "params": {"width": 4, "stages": 1}},
            {"id": "head", "type": "linear_classifier", "params": {"classes": 2}},
        ],
        "data": {"source": "image-folder", "path": "images", "num_workers": 0},
    }
    window = make_window(project=project_io.load(trained_project(tmp_path, raw)))
    panel = window.evaluation.evaluate
    assert panel.evaluate()
    qtbot.waitUntil(lambda: not panel.running, timeout=60000)
    result = panel.result
    t, p = max(((t, p) for t in range(2) for p in range(2)), key=lambda c: len(result.cell(*c)))
    panel.matrix.choose(t, p)
    rows = panel.samples.rowCount()
    assert rows == result.confusion[t][p] > 0
    files = [panel.samples.item(r, 0).toolTip() for r in range(rows)]
    assert files == [result.image_path(i) for i, _ in panel.samples.shown_indices(result)]
    assert all(f.endswith(".jpg") and f"images/{('cats', 'dogs')[t]}/" in f for f in files)
    qtbot.waitUntil(  # decoded on the thumbnails thread, then shown
        lambda: all(not panel.samples.item(r, 0).icon().isNull() for r in range(rows)),
        timeout=30000,
    )


def test_a_reopened_project_offers_its_runs_checkpoints(make_window, trained):
    path, best = trained
    window = make_window()  # the starter: no runs of ours
    picker = window.evaluation.picker
    assert best not in [picker.combo.itemData(i) for i in range(picker.combo.count())]
    window.files.open(str(path))
    listed = [picker.combo.itemData(i) for i in range(picker.combo.count())]
    assert listed == [str(best), str(best.with_name("last.pt"))]
    assert window.evaluation.evaluate.evaluate_button.isEnabled()


def test_bio_entity_scores_are_rows_of_the_metrics_table(make_window):
    """Token tasks with BIO labels: the seqeval-style entity scores follow the per-class rows."""
    from ftstudio.core.training import entities
    from ftstudio.core.training.evaluation import Evaluation

    true = [["B-PER", "I-PER", "O", "B-LOC"], ["B-LOC", "O"]]
    predicted = [["B-PER", "I-PER", "O", "O"], ["B-LOC", "O"]]
    scores = entities.entity_scores(true, predicted)
    classes = ["O", "B-PER", "I-PER", "B-LOC"]
    per_class = [{"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1}] * len(classes)
    result = Evaluation("token_classification", "validation", 2, 0.1, classes, per_class=per_class)
    result.entities = scores
    panel = make_window().evaluation.evaluate
    panel._fill_metrics(result)
    table = panel.metrics
    rows = {table.item(r, 0).text(): r for r in range(table.rowCount())}
    assert table.rowCount() == len(classes) + 3  # LOC, PER, overall
    loc = rows["entity LOC"]
    assert [table.item(loc, c).text() for c in range(1, 5)] == ["1.000", "0.500", "0.667", "2"]
    overall = rows["all entities"]
    assert table.item(overall, 3).text() == f"{scores['overall']['f1']:.3f}" == "0.800"
