"""deploy/: the alert rules and the dashboard load, and name only metrics /metrics has."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.cloud.observability.scrape import names

DEPLOY = Path(__file__).parents[3] / "deploy"
METRIC = re.compile(r"\bstocky_[a-z0-9_]+\b")
SEVERITIES = {"warning", "critical"}


def alert_rules() -> list[dict[str, Any]]:
    loaded = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    return [rule for group in loaded["groups"] for rule in group["rules"]]


def dashboard_exprs() -> list[str]:
    dashboard = json.loads((DEPLOY / "grafana" / "stocky.json").read_text())
    return [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]


def test_alert_rules_are_well_formed() -> None:
    rules = alert_rules()
    wanted = {
        "StockyCajaSilent",
        "StockyOpsRejected",
        "StockyChecksumDivergence",
        "StockyJobFailures",
        "StockyHigh5xxRate",
    }
    assert wanted <= {rule["alert"] for rule in rules}
    for rule in rules:
        assert METRIC.search(rule["expr"]), rule["alert"]
        assert rule["labels"]["severity"] in SEVERITIES, rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
    (silent,) = [r for r in rules if r["alert"] == "StockyCajaSilent"]
    assert "> 900" in silent["expr"]  # 15 minutes


def test_dashboard_panels_have_queries() -> None:
    dashboard = json.loads((DEPLOY / "grafana" / "stocky.json").read_text())
    assert dashboard["uid"]
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    assert all(METRIC.search(expr) for expr in dashboard_exprs())


@pytest.mark.asyncio
async def test_every_metric_named_exists_in_metrics(client) -> None:
    response = await client.get("/metrics")
    assert response.status_code == 200
    exported = names(response.text)
    named = {
        name
        for expr in [*(r["expr"] for r in alert_rules()), *dashboard_exprs()]
        for name in METRIC.findall(expr)
    }
    assert named
    missing = sorted(named - exported)
    assert not missing, f"named in deploy/ but not exported: {missing}"
