"""``python -m altpipe <role> ...``: the supervisor (``run``) or one of its three processes."""

from altpipe.cli import main

raise SystemExit(main())
