import sys

from liftoff_release.cli import main

sys.exit(main())
