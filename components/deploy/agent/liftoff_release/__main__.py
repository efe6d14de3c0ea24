"""`python3 -m liftoff_release`, `python3 <this directory>` and the zipapp all start here."""

import os
import sys

if not __package__:
    # Run as a directory or from the zipapp's root: the package's parent must be importable.
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from liftoff_release.cli import main  # noqa: E402

sys.exit(main())
