"""Generate the policy pack's table of provider resource types from the installed provider SDKs.

    python tools/provider_types.py --write     # regenerate components/strata/catalog/data/provider_types.json
    python tools/provider_types.py --check     # exit 1 if the committed table differs from the SDKs

For every resource type of pulumi-aws and pulumi-gcp the table says where the resource is placed
(which inputs, in which order, then which provider settings, or a fixed default) and where its
labels live. The inputs come from the SDKs themselves (each class's ``_internal_init`` parameters,
read as text so nothing is imported); how Google's provider resolves an omitted location comes
from its source, recorded per type in ``tools/provider_facts/gcp_location_resolution.json``.

A type the SDK gives a ``region``, ``location`` or ``zone`` input is *located*: the residency rule
judges it. The suite regenerates the table and fails when it differs, so a new SDK release with
a new located type cannot slip past the pack unnoticed.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "components" / "strata" / "catalog" / "data" / "provider_types.json"
GCP_FACTS = ROOT / "tools" / "provider_facts" / "gcp_location_resolution.json"
LOCATION_INPUTS = ("region", "location", "zone")

_INIT = re.compile(
    r"def _internal_init\(__self__,\s*resource_name: str,\s*opts: Optional\[pulumi\.ResourceOptions\] = None,"
    r"(.*?)__props__=None\):(.*?)super\(\w+, __self__\)\.__init__\(\s*'([^']+)'",
    re.S,
)
_PARAM = re.compile(r"^\s*(\w+): (pulumi\.Input\[.*?\]) = None,\s*$", re.M)
_OUTPUT = re.compile(r'__props__\.__dict__\["(\w+)"\] = None')


@dataclass(frozen=True)
class SdkType:
    token: str
    inputs: dict[str, str]  # camelCase name -> Python annotation
    outputs: frozenset[str]  # camelCase names of computed-only properties


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def scan(package: str) -> dict[str, SdkType]:
    """Every resource class of an installed provider SDK, read from its source text."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"{package} is not installed")
    out: dict[str, SdkType] = {}
    for path in sorted(Path(next(iter(spec.submodule_search_locations))).rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if "_internal_init" not in text:
            continue
        for m in _INIT.finditer(text):
            token = m.group(3)
            if ":" not in token:  # a provider class registers as its bare package name
                continue
            inputs = {camel(p): ann for p, ann in _PARAM.findall(m.group(1))}
            outputs = frozenset(camel(o) for o in _OUTPUT.findall(m.group(2)))
            out[token] = SdkType(token, inputs, outputs)
    return out


def _aws(t: SdkType) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    if "region" in t.inputs:
        # terraform-provider-aws v6: a regional resource is in its `region`, else its provider's region
        # (pulumi-aws fills `region` in during Check). An availability zone must lie in that region.
        entry["at"] = ["region"]
        entry["fallback"] = ["region"]
        also = [a for a in ("availabilityZone",) if a in t.inputs]
        if also:
            entry["also"] = also
    tags = t.inputs.get("tags", "")
    if tags.startswith("pulumi.Input[Optional[Mapping[str"):
        entry["labels"] = "tags"
        if "tagsAll" in t.outputs:
            entry["defaultLabels"] = True  # the provider's defaultTags apply (merged into tagsAll)
    return entry


#: How Google's provider places a resource whose location inputs are all unset, by the helper it
#: calls (terraform-provider-google-beta tpgresource); see the facts file for each type's evidence.
_GCP_PLACED = {
    "required",
    "GetRegion",
    "GetLocation",
    "GetZone",
    "GetRegionFromSchema",
    "DefaultProviderRegion",
    "schema_default",
    "implicit_default",
    "optional_no_fallback",
    "api_default",
    "from_parent_ref",
    "inherits_parent",
}


def _gcp(t: SdkType, facts: dict[str, Any] | None) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    located = any(k in t.inputs for k in LOCATION_INPUTS)
    if located:
        if facts is None:
            raise SystemExit(f"{t.token}: a located type with no resolution facts; research it and add it")
        kind = facts["kind"]
        if kind in _GCP_PLACED:
            at = list(facts["properties"])
            if facts.get("parent_override"):  # a parent given as a full resource path decides the location
                ref = camel(facts["parent_override"])
                at = [f"@{ref}", *(p for p in at if p != ref)]
            missing = [a for a in at if a.lstrip("@") not in t.inputs]
            if missing:
                raise SystemExit(f"{t.token}: resolution facts name inputs the SDK lacks: {missing}")
            entry["at"] = at
            if facts.get("fallback"):
                entry["fallback"] = list(facts["fallback"])
            if facts.get("default"):
                entry["default"] = facts["default"]
        else:
            entry["global"] = kind  # global_resource / not_geographic: no location of its own
    if "labels" in t.inputs and "effectiveLabels" in t.outputs:
        entry["labels"] = "labels"
        entry["defaultLabels"] = True
    elif "resourceLabels" in t.inputs and "effectiveLabels" in t.outputs:
        entry["labels"] = "resourceLabels"
        entry["defaultLabels"] = True
    return entry


def build() -> dict[str, Any]:
    facts_doc = json.loads(GCP_FACTS.read_text(encoding="utf-8"))
    gcp_facts: dict[str, Any] = facts_doc["types"]
    types: dict[str, Any] = {}
    for token, t in sorted(scan("pulumi_aws").items()):
        if entry := _aws(t):
            types[token] = entry
    for token, t in sorted(scan("pulumi_gcp").items()):
        if entry := _gcp(t, gcp_facts.get(token)):
            types[token] = entry
    return {
        "about": "Generated by tools/provider_types.py from the installed provider SDKs; do not edit. "
        "at: inputs that place the resource, first set wins ('@x': a reference whose /locations/L/ "
        "segment or whose resource places it); also: more places; fallback: provider settings used "
        "when no input is set; default: the provider's fixed default; global: no location of its own; "
        "labels: the input holding the provider's labels; defaultLabels: provider defaults apply.",
        "sdks": {p: importlib.metadata.version(p) for p in ("pulumi-aws", "pulumi-gcp")},
        "gcpResolution": {k: facts_doc[k] for k in ("source", "retrieved")},
        "types": types,
    }


def render(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=1, sort_keys=False) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true")
    mode.add_argument("--check", action="store_true")
    args = parser.parse_args()
    text = render(build())
    if args.write:
        OUTPUT.write_text(text, encoding="utf-8")
        print(f"wrote {OUTPUT.relative_to(ROOT)}")
        return 0
    if OUTPUT.read_text(encoding="utf-8") != text:
        print(f"{OUTPUT.relative_to(ROOT)} is stale: run python tools/provider_types.py --write", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
