"""Training memory from a validation report: weights, gradients, AdamW state, activations."""

from __future__ import annotations

from ftstudio.core.validation_report import BlockReport, MemoryEstimate

BYTES_PER_VALUE = 4
OPTIMIZER_STATES = 2  # AdamW keeps two moments per trainable value


def estimate_memory(reports: list[BlockReport], batch_size: int) -> MemoryEstimate:
    """Training memory at ``batch_size``: params, grads, AdamW state and stored activations.

    Activations are counted from the first block with trainable parameters on: a frozen
    prefix runs without storing anything for the backward pass.
    """
    trainable = sum(b.trainable for b in reports)
    total = trainable + sum(b.frozen for b in reports)
    first = next((i for i, b in enumerate(reports) if b.trainable), len(reports))
    activations = sum(b.activation_bytes for b in reports[first:]) * batch_size
    return MemoryEstimate(
        batch_size,
        total * BYTES_PER_VALUE,
        trainable * BYTES_PER_VALUE,
        trainable * BYTES_PER_VALUE * OPTIMIZER_STATES,
        activations,
    )
