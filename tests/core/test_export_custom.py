"""Export of custom blocks: the blocks file is copied next to model.py, which imports it, and
the export matches the app exactly (fp32, CPU) in a process that cannot import ftstudio."""

from __future__ import annotations

import pytest
import torch
from export_helpers import in_app_model, job, run_exported

from ftstudio.core.blocks import custom
from ftstudio.core.export import export_project
from ftstudio.core.export.errors import ExportError
from ftstudio.core.project import InputSpec, Project, TaskSpec, make_block
from ftstudio.core.project_spec import RESOURCES

EXAMPLE = RESOURCES / "examples" / "custom_blocks.py"


def test_custom_blocks_export_standalone_with_zero_difference(tmp_path, custom_blocks):
    custom_blocks(EXAMPLE)
    torch.manual_seed(0)
    project = Project(input=InputSpec((6, 8)), task=TaskSpec("token_classification", 4))
    for type_name, params in (
        ("FeatureExtractor", {"hidden": 12, "dropout": 0.3}),
        ("QKVAttention", {"causal": True}),
        ("token_classifier", {"classes": 4}),
    ):
        project.blocks.append(make_block(type_name, project, **params))
    result = export_project(project, tmp_path / "out")
    copied = result.out_dir / "custom_blocks.py"
    assert copied.read_bytes() == EXAMPLE.read_bytes()
    source = (result.out_dir / "model.py").read_text()
    assert "import custom_blocks" in source
    assert "custom_blocks.FeatureExtractor(hidden=12, dropout=0.3, in_features=8)" in source
    assert "custom_blocks.QKVAttention(causal=True, d_model=12)" in source
    assert "custom_blocks.py" in (result.out_dir / "README.md").read_text()
    x = torch.randn(3, 6, 8, generator=torch.Generator().manual_seed(1))
    (out,) = run_exported([job(result.out_dir, x)], tmp_path)
    app = in_app_model(project, result.out_dir)
    with torch.no_grad():
        expected = app(x)
    assert out["keys"] == list(app.state_dict())
    assert torch.equal(out["y"], expected)  # exactly 0 difference


def test_a_blocks_file_edited_after_loading_is_not_exported(tmp_path, custom_blocks):
    path = tmp_path / "model.py"  # a name the export uses itself: imported under another
    path.write_text(EXAMPLE.read_text())
    record = custom_blocks(path)
    assert record.export_module == "model_blocks"
    project = Project(input=InputSpec((8,)), task=TaskSpec("classification", 3))
    project.blocks = [
        make_block("FeatureExtractor", project),
        make_block("linear_classifier", project, classes=3),
    ]
    path.write_text(path.read_text() + "\n# edited\n")
    with pytest.raises(ExportError, match="changed since it was loaded; reload it"):
        export_project(project, tmp_path / "out")
    custom.reload_blocks_file(path)
    result = export_project(project, tmp_path / "out")
    assert (result.out_dir / "model_blocks.py").read_text() == path.read_text()
