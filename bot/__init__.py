"""Carnet: a Slack assistant for field sales teams (activity report, pipeline, reminders)."""

__version__ = "0.1.0"
