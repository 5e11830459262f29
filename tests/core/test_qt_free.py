"""The core must never import Qt: import every core module with Qt made unimportable."""

import subprocess
import sys
import textwrap

import ftstudio.core


def test_core_imports_without_qt():
    code = textwrap.dedent(
        """
        import importlib, pkgutil, sys

        class BlockQt:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {"PySide6", "PyQt5", "PyQt6", "PySide2", "pyqtgraph", "shiboken6"}:
                    raise ImportError(f"Qt is not allowed in ftstudio.core: {name}")
                return None

        sys.meta_path.insert(0, BlockQt())
        import ftstudio.core
        names = [m.name for m in pkgutil.walk_packages(ftstudio.core.__path__, "ftstudio.core.")]
        for name in names:
            importlib.import_module(name)
        leaked = [m for m in sys.modules if m.split(".")[0] in {"PySide6", "pyqtgraph"}]
        assert not leaked, leaked
        print(len(names))
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip()) >= len(list(ftstudio.core.__path__)) + 5
