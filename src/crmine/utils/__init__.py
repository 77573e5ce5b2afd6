"""Shared internals: the one input reader, shared checks and definitions, engine registry.

Nothing here is public API; modules import from the private submodules.
"""
