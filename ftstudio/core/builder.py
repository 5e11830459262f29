"""Project -> ``nn.Module``: building, real freezing, and optimizer parameter groups."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from torch import nn

from ftstudio.core.blocks.layers import MaskedSequential
from ftstudio.core.blocks.registry import Shape
from ftstudio.core.errors import FTStudioError
from ftstudio.core.project import BlockSpec, Project


class BuildError(FTStudioError):
    """A block could not be built; names the block."""

    def __init__(self, message: str, index: int, block_id: str):
        super().__init__(message)
        self.index = index
        self.block_id = block_id


def resolved_params(project: Project, spec: BlockSpec) -> dict[str, Any]:
    """The block's params, checked and with defaults filled in, and with path parameters
    resolved against the project folder.

    Raises :class:`~ftstudio.core.errors.ParamError` for a wrong type or out-of-range value
    (a project built in code may hold params that never went through the loader).
    """
    params = spec.block_type.resolve(spec.params, f"block '{spec.id}'")
    for p in spec.block_type.params:
        if p.kind == "path":
            params[p.name] = project.resolve_path(params[p.name])
    return params


def build_block(
    project: Project, spec: BlockSpec, in_shape: Shape, load_weights: bool = True
) -> nn.Module:
    return spec.block_type.make(resolved_params(project, spec), in_shape, load_weights)


def freeze_units(module: nn.Module) -> dict[str, list]:
    """The stages of a block that can be frozen one by one (empty for simple blocks)."""
    units = getattr(module, "freeze_units", None)
    return units() if callable(units) else {}


class FTModel(MaskedSequential):
    """The assembled model: one submodule per block, named by block id, run in order (a
    token-id input's padding mask reaches the blocks that take one).

    Frozen blocks and frozen stages stay in eval mode when the model is put in training mode,
    whatever kind of module they are (TorchScript included): their BatchNorm running statistics
    never change and their dropout is off, so a frozen feature extractor is deterministic.
    """

    def __init__(self, modules: OrderedDict[str, nn.Module]):
        super().__init__(modules)
        self._frozen_modules: list[nn.Module] = []

    def train(self, mode: bool = True) -> FTModel:
        super().train(mode)
        for module in self._frozen_modules:
            module.train(False)
        return self


def build_model(
    project: Project,
    input_shape: Shape | None = None,
    load_weights: bool = True,
    check_task: bool = True,
) -> FTModel:
    """Build the project's model on the CPU.

    Shapes are validated first; an invalid stack raises :class:`BuildError` naming the first
    bad block and the fix. ``load_weights=False`` skips pretrained weights (random init);
    ``check_task=False`` builds a stack whose output need not fit the task (a headless part).
    """
    from ftstudio.core.shapes import validate

    report = validate(project, input_shape=input_shape)
    if report.issue is not None and (check_task or report.issue.kind != "task"):
        where = report.issue.index
        label = project.blocks[where].label if where >= 0 else "stack"
        raise BuildError(
            f"Block {where + 1} '{label}': {report.issue.message}", where, report.issue.block_id
        )
    modules: OrderedDict[str, nn.Module] = OrderedDict()
    for index, (spec, block_report) in enumerate(zip(project.blocks, report.blocks, strict=True)):
        try:
            modules[spec.id] = build_block(project, spec, block_report.in_shape, load_weights)
        except FTStudioError as exc:
            raise BuildError(f"Block {index + 1} '{spec.label}': {exc}", index, spec.id) from exc
    model = FTModel(modules)
    apply_freezing(model, project)
    return model


def apply_freezing(model: FTModel, project: Project) -> None:
    """Set ``requires_grad`` per block and stage, and keep frozen blocks and stages in eval
    mode (see :class:`FTModel`)."""
    model._frozen_modules = []
    for spec in project.blocks:
        module = model.get_submodule(spec.id)
        for p in module.parameters():
            p.requires_grad_(True)
        if spec.trains_nothing:
            _freeze(module, model._frozen_modules)
            continue
        units = freeze_units(module)
        for stage in spec.frozen_stages:
            if stage in units:
                for item in units[stage]:
                    _freeze(item, model._frozen_modules)
    model.train(model.training)


def _freeze(item: nn.Module | nn.Parameter, frozen: list[nn.Module]) -> None:
    """No gradient for ``item``; a module also joins the list kept in eval mode.

    Parameters are set one by one: TorchScript modules refuse ``requires_grad_``.
    """
    if isinstance(item, nn.Parameter):
        item.requires_grad_(False)
        return
    for p in item.parameters():
        p.requires_grad_(False)
    frozen.append(item)


def parameter_groups(model: FTModel, project: Project, lr: float) -> list[dict[str, Any]]:
    """Optimizer groups over trainable parameters only, one per block, lr scaled per block."""
    groups = []
    for spec in project.blocks:
        params = [p for p in model.get_submodule(spec.id).parameters() if p.requires_grad]
        if params and spec.lr_scale > 0:
            groups.append({"params": params, "lr": lr * spec.lr_scale, "name": spec.id})
    return groups
