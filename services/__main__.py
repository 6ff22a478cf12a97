"""``python -m services``: the same as the ``hub`` command."""

from services.cli import main

raise SystemExit(main())
