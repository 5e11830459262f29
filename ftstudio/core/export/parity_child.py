"""The parity check's second process: runs an export's files where FT Studio cannot be imported.

Never imported by FT Studio: :mod:`ftstudio.core.export.parity` runs this file's text as
``python -c SOURCE JOB.json`` with the export folder as the working directory. The job names
the folder, the saved input batches, the files to run (``model.py``, ``model.ts``,
``model.onnx``) and where to save the outputs: for each file a list of output tensors (one
per batch) or one line saying why it could not run. It imports torch (and onnxruntime for
``model.onnx``), never ftstudio: an export that needs FT Studio fails here, as it would for
the user.
"""

import importlib
import json
import sys


class NoFTStudio:
    """An import finder that refuses ``ftstudio``: the export must run without it."""

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "ftstudio":
            raise ImportError(
                f"'{name}' was imported, but an export must run without FT Studio installed"
            )
        return None


def block_ftstudio() -> None:
    sys.meta_path.insert(0, NoFTStudio())
    for name in [m for m in sys.modules if m.split(".")[0] == "ftstudio"]:
        del sys.modules[name]  # an app that runs this in its own interpreter


def one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    first = text.splitlines()[0] if text else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def runner(name: str, folder: str):
    """A function batch -> output tensor for the file ``name`` of the export."""
    import torch

    if name == "model.py":
        return importlib.import_module("model").load_model(f"{folder}/model.safetensors")
    if name == "model.ts":
        return torch.jit.load(f"{folder}/model.ts", map_location="cpu").eval()
    if name == "model.onnx":
        import onnxruntime

        session = onnxruntime.InferenceSession(
            f"{folder}/model.onnx", providers=["CPUExecutionProvider"]
        )
        input_name = session.get_inputs()[0].name

        def run(x):
            return torch.from_numpy(session.run(None, {input_name: x.numpy()})[0])

        return run
    raise ValueError(f"no parity check for {name}")


def run_file(name: str, folder: str, batches: list) -> list:
    import torch

    model = runner(name, folder)
    outputs = []
    with torch.no_grad():
        for x in batches:
            y = model(x)
            if not isinstance(y, torch.Tensor):
                raise TypeError(f"the model returned {type(y).__name__}, not a tensor")
            outputs.append(y.detach().cpu())
    return outputs


def main() -> None:
    block_ftstudio()
    with open(sys.argv[1], encoding="utf-8") as handle:
        job = json.load(handle)
    import torch

    torch.set_num_threads(job["threads"])  # the app's thread count: the same sums, in order
    torch.set_float32_matmul_precision(job["matmul_precision"])
    sys.path.insert(0, job["folder"])
    batches = torch.load(job["inputs"], map_location="cpu", weights_only=True)
    results = {}
    for name in job["files"]:
        try:
            results[name] = run_file(name, job["folder"], batches)
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - reported to the user, per file
            results[name] = one_line(exc)
    torch.save(results, job["outputs"])


if __name__ == "__main__":  # python -c SOURCE JOB.json
    main()
