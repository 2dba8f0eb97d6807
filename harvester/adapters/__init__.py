"""The registry of adapters: a profile's `software` value names its family."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from harvester.adapters.base import Adapter

# family -> "module:Class"; imported on use so one family's dependencies never slow another.
REGISTRY: dict[str, str] = {
    "ckan": "harvester.adapters.ckan:CkanAdapter",
    "socrata": "harvester.adapters.socrata:SocrataAdapter",
    "opendatasoft": "harvester.adapters.opendatasoft:OpenDataSoftAdapter",
    "dcat": "harvester.adapters.dcat:DcatAdapter",
    "datajson": "harvester.adapters.datajson:DataJsonAdapter",
    "udata": "harvester.adapters.udata:UDataAdapter",
    "file": "harvester.adapters.catalogue_file:CatalogueFileAdapter",
    "jsonapi": "harvester.adapters.jsonapi:JsonApiAdapter",
}


def families() -> list[str]:
    """The `software` values odq has an adapter for (the profile schema's list comes from here)."""
    return list(REGISTRY)


def adapter_class(family: str) -> type[Adapter]:
    try:
        target = REGISTRY[family]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise NotImplementedError(f"no adapter for software {family!r} yet (available: {known})") from None
    module_name, class_name = target.split(":")
    try:
        return getattr(import_module(module_name), class_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        raise NotImplementedError(f"the {family!r} adapter is not available in this version of odq") from None


def check_options(profile: dict[str, Any]) -> None:
    """Build the family's typed options from the profile, without any network; OptionsError (or, for the
    families whose options are a JSON Schema document, ProfileError) names the key and the expectation.

    A profile without options whose family needs them (a jsonapi stub imported from CNPDS) still loads:
    it can be listed and reviewed, and building its adapter says what is missing."""
    cls = adapter_class(profile["software"])
    if profile.get("options") is None and cls.options_required:
        return
    cls.parse_options(profile)
