"""Strata's CrossGuard rules: residency and the security baseline, read from what the engine sees."""
