"""Entry point of the Pulumi program (`pulumi up -s <env>`): builds the stack's environment."""

from strata.program import main

main()
