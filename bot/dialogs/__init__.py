"""Dialogues: each command's conversation, turning domain services into neutral Replies.

A dialogue gets a ``Context`` (session, workspace, member, now) and returns a ``Reply``;
it never sees the chat service or the terminal: the doors (``bot/handlers``, ``bot/console.py``) do.
"""
