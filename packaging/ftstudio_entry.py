"""Entry point of the PyInstaller bundle: the same ``ftstudio`` command as the pip install."""

import multiprocessing
import sys

from ftstudio.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # data loader workers re-run this executable
    sys.exit(main())
