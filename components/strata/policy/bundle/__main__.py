"""Strata's policy pack: `pulumi preview --policy-pack policies`. The rules live in the `strata`
package (strata.policy) so team repos run the very same pack on their own programs."""

from strata.policy.pack import serve

serve()
