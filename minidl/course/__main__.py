"""``python -m minidl.course list | start NAME DIR | check NAME FILE | train DIR``."""
import sys

from .cli import main

sys.exit(main())
