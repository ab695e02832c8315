"""Strata's rules, one per module. Each module exposes ``META`` and ``POLICY``."""
