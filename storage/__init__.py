"""Carnet's storage: SQLAlchemy 2.0 typed models, engine and session, queries, migrations.

Nothing here imports Slack or the bot: arrows point down only.
"""
