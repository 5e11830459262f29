"""The training engine: a plain-function loop reporting through callbacks.

GUI / API entry points::

    from ftstudio.core.training import Callback, TrainControl, train_project
    control = TrainControl()              # control.request_stop() / pause() / resume()
    result = train_project(project, callbacks=[MyCallback()], control=control)
    result.summary                        # also RUN/summary.json

Lower level: :func:`fit` (model, data, config, callbacks, control, run_dir, resume).
Training settings are the keys of :class:`TrainConfig` (the project's ``training`` section).
"""

from ftstudio.core.training.callbacks import Callback, CallbackList, TrainControl
from ftstudio.core.training.checkpoint import load_checkpoint, save_checkpoint
from ftstudio.core.training.config import TrainConfig, parse_training_config
from ftstudio.core.training.evaluation import Evaluation, evaluate_checkpoint, evaluate_project
from ftstudio.core.training.loop import fit
from ftstudio.core.training.run import TrainResult, train_project

__all__ = [
    "Callback",
    "CallbackList",
    "Evaluation",
    "TrainConfig",
    "TrainControl",
    "TrainResult",
    "evaluate_checkpoint",
    "evaluate_project",
    "fit",
    "load_checkpoint",
    "parse_training_config",
    "save_checkpoint",
    "train_project",
]
