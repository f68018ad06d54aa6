"""`python -m deskplan`: the same command line as the `deskplan` console script."""

from deskplan.cli import main

main()
