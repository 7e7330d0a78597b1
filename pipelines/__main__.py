"""`python -m pipelines refresh | rebuild | status`: the command line lives in `pipelines.run.cli`."""

from pipelines.run.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
