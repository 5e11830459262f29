"""FT Studio: assemble, fine-tune and export PyTorch models as a visual layer stack."""

__version__ = "0.1.0"
