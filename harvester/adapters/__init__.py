"""The registry of adapters: a profile's `software` value names its family."""

from __future__ import annotations

from importlib import import_module

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
