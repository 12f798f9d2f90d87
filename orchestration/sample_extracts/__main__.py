"""``python -m orchestration.sample_extracts``: the sample-extract generator's CLI."""

from orchestration.sample_extracts.cli import main

raise SystemExit(main())
