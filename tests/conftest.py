import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _forget_custom_blocks():
    """Block types loaded from blocks files during a test (a template with custom blocks,
    ``--blocks``) are unregistered after it: the catalog is process-wide."""
    yield
    from ftstudio.core.blocks import custom

    for record in custom.loaded_files():
        custom.unload_blocks_file(record.path)
