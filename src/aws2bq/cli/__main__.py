"""``python -m aws2bq.cli`` runs the ``aws2bq`` command."""

from aws2bq.cli import main

main()
