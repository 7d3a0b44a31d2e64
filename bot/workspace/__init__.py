"""The volunteers' web workspace: edit, try, check and publish the FAQ without a terminal.

It reads and writes the same knowledge/ files as everyone else and answers with the same
core as the bot (load_knowledge, the checks, Helpdesk.respond, the Composer); the files stay
the one source of truth.
"""
