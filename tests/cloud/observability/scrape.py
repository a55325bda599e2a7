"""Reading /metrics the way Prometheus does (prometheus_client's own text parser)."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(text: str, name: str, **labels: str) -> float:
    """The sample's value; 0 when the series does not exist yet (a counter never hit)."""
    return samples(text).get((name, frozenset(labels.items())), 0.0)


def names(text: str) -> set[str]:
    """Every metric family and sample name the exposition declares, samples or not."""
    found: set[str] = set()
    for family in text_string_to_metric_families(text):
        found.add(family.name)
        found.update(s.name for s in family.samples)
        if family.type == "counter":
            found.add(f"{family.name}_total")
        if family.type == "histogram":
            found.update(f"{family.name}_{suffix}" for suffix in ("bucket", "count", "sum"))
    return found
