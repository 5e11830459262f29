"""The train command's progress line (a tqdm bar): what it shows on a terminal and in a log."""

from __future__ import annotations

import io

from ftstudio.cli.progress import LOG_WIDTH, ProgressPrinter

INFO = {
    "device": "cpu",
    "world_size": 1,
    "epochs": 2,
    "start_epoch": 0,
    "batches_per_epoch": 3,
    "run_dir": "/tmp/run",
    "warnings": ["few samples"],
    "notes": [],
}


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def drive(printer: ProgressPrinter) -> None:
    """Two epochs of three batches, as the training loop calls the hooks."""
    printer.on_train_start(INFO)
    for epoch in range(2):
        printer.on_epoch_start(epoch)
        for batch in range(3):
            printer.on_step(epoch * 3 + batch, 0.5 / (epoch + 1))
            printer.on_batch_end(epoch, batch, epoch * 3 + batch)
        metrics = {"epoch": epoch + 1, "train_loss": 0.5, "val_accuracy": 0.75}
        printer.on_epoch_end({**metrics, "samples_per_s": 123.0})
    printer.on_train_end({})


def test_a_log_gets_ascii_lines_of_bounded_width_and_one_summary_per_epoch():
    log = io.StringIO()
    printer = ProgressPrinter(batch_size=8, stream=log)
    printer.on_train_start(INFO)
    printer.on_epoch_start(0)
    printer.on_step(0, 0.5)
    printer.on_batch_end(0, 0, 0)
    printer.bar.refresh()  # what a log gets every LOG_INTERVAL_S
    progress = log.getvalue().replace("\r", "\n").splitlines()[-1]
    assert "epoch 1/2" in progress and "loss 0.5000" in progress
    assert "8.00/48.0" in progress and "sample/s" in progress  # samples, not batches
    assert len(progress) <= LOG_WIDTH
    printer.on_epoch_end({"epoch": 1, "train_loss": 0.5, "samples_per_s": 123.0})
    printer.on_train_end({})
    assert printer.bar is None  # closed
    text = log.getvalue()
    assert text.isascii() and "\x1b" not in text  # no terminal escapes in a file
    lines = [line.strip() for line in text.replace("\r", "\n").splitlines() if line.strip()]
    assert lines[0] == "warning: few samples"
    assert lines[1].startswith("Training on cpu (world size 1), 2 epochs")
    assert "epoch 1, train_loss 0.5000, 123 samples/s" in lines


def test_a_terminal_gets_a_bar_redrawn_in_place_that_is_gone_at_the_end():
    term = Terminal()
    printer = ProgressPrinter(batch_size=4, stream=term)
    drive(printer)
    text = term.getvalue()
    assert "\r" in text  # redrawn in place
    assert "epoch 1, train_loss 0.5000, val_accuracy 0.7500, 123 samples/s\n" in text
    assert "epoch 2, train_loss 0.5000, val_accuracy 0.7500, 123 samples/s\n" in text
    assert printer.bar is None
    printer.close()  # a second close (train_cmd's finally) is harmless


def test_quiet_prints_only_the_data_warnings():
    log = io.StringIO()
    drive(ProgressPrinter(batch_size=4, stream=log, enabled=False))
    assert log.getvalue() == "warning: few samples\n"


def test_an_error_closes_the_bar():
    log = io.StringIO()
    printer = ProgressPrinter(batch_size=4, stream=log)
    printer.on_train_start(INFO)
    printer.on_error("boom")
    assert printer.bar is None
