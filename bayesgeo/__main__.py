import sys

from bayesgeo.cli import main

sys.exit(main())
