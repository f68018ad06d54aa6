"""`python -m deskplan`: the same command line as the `deskplan` console script."""

from .cli import main

main()
