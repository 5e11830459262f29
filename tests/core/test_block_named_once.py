"""A block's problem names the block once: validation prefixes the label, so the block's own
message does not start with its title as well ("Backbone from file: Backbone from file: ...")."""

from __future__ import annotations

import pytest
import torch

from ftstudio.cli import main
from ftstudio.core.project import InputSpec, Project, TaskSpec, make_block
from ftstudio.core.shapes import validate


def one_block(tmp_path, block: str, shape, **params) -> Project:
    project = Project(input=InputSpec(shape=shape), task=TaskSpec(num_classes=2))
    project.blocks.append(make_block(block, project, **params))
    project.blocks.append(make_block("linear_classifier", project, classes=2))
    return project


CASES = {
    "missing backbone file": ("backbone_from_file", (3, 32, 32), {"path": "missing.pt"}),
    "state dict as TorchScript": (
        "backbone_from_file",
        (3, 32, 32),
        {"path": "sd.pt", "architecture": "torchscript"},
    ),
    "no backbone file": ("backbone_from_file", (3, 32, 32), {}),
    "missing Small CNN weights": ("small_cnn", (3, 16, 16), {"weights_file": "missing.pt"}),
    "missing MLP weights": ("mlp", (8,), {"weights_file": "missing.pt"}),
    "missing stack file": ("stack_from_file", (8,), {"stack": "missing.ftproj"}),
    "no stack file": ("stack_from_file", (8,), {}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_block_file_problem_names_the_block_once(tmp_path, case):
    block, shape, params = CASES[case]
    torch.save({"layer.weight": torch.zeros(2, 2)}, tmp_path / "sd.pt")
    params = {k: str(tmp_path / v) if "." in v else v for k, v in params.items()}
    project = one_block(tmp_path, block, shape, **params)
    issue = validate(project).issue
    label = project.blocks[0].label
    assert issue is not None and issue.index == 0
    assert issue.message.startswith(f"{label}: ")
    assert issue.message.count(label) == 1, issue.message
    assert issue.message[len(label) + 2 :].strip()  # still says what is wrong


def test_cli_validate_names_a_bad_weights_file_without_repeating(tmp_path, capsys):
    from ftstudio.core import project as project_io

    torch.save({"layer.weight": torch.zeros(2, 2)}, tmp_path / "x.pt")
    path = str(tmp_path / "x.pt")
    project = one_block(
        tmp_path, "backbone_from_file", (3, 32, 32), path=path, architecture="torchscript"
    )

    project_io.save(project, tmp_path / "p.ftproj")
    assert main(["validate", str(tmp_path / "p.ftproj")]) != 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert "Backbone from file: Backbone from file" not in line
    assert line.count("Backbone from file") == 1, line  # not also in "Invalid at block 1 '...'"
    assert "is a state dict, not a TorchScript archive" in line
