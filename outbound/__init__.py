"""The one package that places every call and sends every SMS (see ``outbound/README.md``).

Calls: a leg is written in the caller's transaction and dialled after its commit
(``calls``, ``legs``); results go back to their owner as events (``events``).
"""
