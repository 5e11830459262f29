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
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip()) >= len(list(ftstudio.core.__path__)) + 5


def test_cli_commands_run_without_qt(tmp_path):
    """Every headless command must work on a machine without Qt (a server, CI)."""
    project = tmp_path / "p.ftproj"
    code = textwrap.dedent(
        f"""
        import importlib, pkgutil, sys

        class BlockQt:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {{"PySide6", "PyQt5", "PyQt6", "PySide2", "pyqtgraph", "shiboken6"}}:
                    raise ImportError(f"Qt is not allowed headless: {{name}}")
                return None

        sys.meta_path.insert(0, BlockQt())
        import ftstudio.cli
        for m in pkgutil.iter_modules(ftstudio.cli.__path__, "ftstudio.cli."):
            importlib.import_module(m.name)
        from ftstudio.cli import main
        assert main(["new", "--template", "seed-sequence", {str(project)!r}]) == 0
        assert main(["validate", {str(project)!r}]) == 0
        assert main(["blocks", "--json"]) == 0
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert project.is_file() and '"self_attention"' in result.stdout
