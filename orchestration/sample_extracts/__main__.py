"""``python -m orchestration.sample_extracts``: the sample-extract generator's CLI."""

from orchestration.sample_extracts.generator import main

raise SystemExit(main())
