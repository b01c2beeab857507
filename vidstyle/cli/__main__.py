"""`python -m vidstyle.cli`, as the `vidstyle` command."""

from vidstyle.cli import main

main()
