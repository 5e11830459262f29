"""Build hook (the rest of the metadata is in pyproject.toml): the wheel ships the user docs
the Help menu opens (docs/*.md -> ftstudio/resources/docs/), so they work without a checkout."""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

DOCS = Path(__file__).resolve().parent / "docs"


class BuildPyWithDocs(build_py):
    def run(self):
        super().run()
        target = Path(self.build_lib) / "ftstudio" / "resources" / "docs"
        target.mkdir(parents=True, exist_ok=True)
        for doc in sorted(DOCS.glob("*.md")):
            if doc.name != "design.md":  # for contributors, not users
                self.copy_file(str(doc), str(target / doc.name))


setup(cmdclass={"build_py": BuildPyWithDocs})
