"""Suites that prove Carnet under load, faults and hostile input, each runnable alone (``python -m
suites.load``, ``python -m suites.faults``), with a ``--quick`` form that the test run uses."""
