"""The one entry point that validates a whole environment, before anything is registered.

Every problem is reported in one run, in the order of the file: the structure (types, unknown keys,
names, catalog look-ups of single fields) and the relations between parts (duplicate names,
references, versions per substrate, zones). Where the structure fails, the relations are still
judged on every part that is sound on its own (see :func:`check_salvageable`). The plan itself
(machine shapes the catalog can satisfy, the capacity ledger, host assignment, derived names and
provider sizes) needs the whole environment: it is judged once the structure is sound, and the
error says so while it is not (:attr:`SpecError.note`). It says so too when a pool's own problems
(a shape no machine type fits, too few hosts, a host listed twice) stopped its plan: that pool's
capacity ledger, names and sizes wait for the fix.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from strata.catalog import Catalog, load_catalog
from strata.declarations.checks import check_environment, check_salvageable, problems_from_validation_error
from strata.declarations.errors import SpecError, in_file_order
from strata.declarations.models import EnvironmentArgs
from strata.frameworks import framework_problems
from strata.limits import size_problems
from strata.naming import name_problems
from strata.paved_road import addon_problems
from strata.planner import EnvironmentPlan, plan_environment
from strata.tenancy import tenancy_problems

#: :attr:`SpecError.note` when the structure failed, or a pool could not be planned: what the plan
#: judges was not judged (or not for every pool).
PLAN_CHECKS_SKIPPED = (
    "capacity, host assignment, names, sizes, tenancy, add-ons and frameworks are checked once the problems "
    "above are fixed"
)


def validate_environment(
    env: EnvironmentArgs | Mapping[str, Any],
    *,
    catalog: Catalog | None = None,
    today: dt.date | None = None,
    source: str | None = None,
) -> tuple[EnvironmentArgs, EnvironmentPlan]:
    """Validate a whole environment and plan it; raise :class:`SpecError` with every problem.

    Accepts the stack file's mapping (camelCase keys only) or an :class:`EnvironmentArgs` built in
    Python. Returns the declaration and its plan. Nothing here touches Pulumi.
    """
    catalog = catalog or load_catalog()
    today = today or dt.date.today()
    data: Any = env  # as given: the order of its keys is the order problems are reported in
    if not isinstance(env, EnvironmentArgs):
        try:
            env = EnvironmentArgs.model_validate(env, by_alias=True, by_name=False)
        except ValidationError as err:
            problems = problems_from_validation_error(err) + check_salvageable(data, catalog)
            raise SpecError(in_file_order(problems, data), source, note=PLAN_CHECKS_SKIPPED) from None
    plan = plan_environment(catalog, env, today)
    problems = check_environment(env, catalog) + list(plan.problems)
    # Names and sizes are judged on what could be planned (hosts assigned, machine types chosen).
    problems += name_problems(plan, catalog) + size_problems(plan, catalog) + tenancy_problems(plan, catalog)
    problems += addon_problems(plan, catalog) + framework_problems(plan, catalog)
    if problems:
        note = PLAN_CHECKS_SKIPPED if plan.unplanned else None
        raise SpecError(in_file_order(problems, data), source, note=note)
    return env, plan


def parse_environment(data: Mapping[str, Any], *, source: str | None = None) -> EnvironmentArgs:
    """Parse and validate the content of a stack's ``environment`` key."""
    env, _ = validate_environment(data, source=source)
    return env
