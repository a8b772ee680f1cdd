"""The one package that places a call: legs written in the caller's transaction, dialled after commit.

See ``outbound/README.md``.
"""
