"""Pure parsers for what people type: commands, dates in words, amounts.

Nothing here touches the database, Slack or the clock: every function takes what it
needs ("today", the member's language) as arguments, so it can be tested as a table.
"""
