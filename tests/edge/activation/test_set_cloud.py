"""Where a caja finds its cloud: the address it reached at activation, moved by an operator
(`stocky edge set-cloud URL`, checked against the cloud first) or overridden for one run
(STOCKY_EDGE_CLOUD_URL). Against a real cloud server on 127.0.0.1."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stocky.edge.cli import edge_app
from stocky.edge.config import EdgeSettings, store_path
from stocky.edge.store import Store
from stocky.edge.sync.cloud_address import CloudAddressError, normalize_cloud_url
from stocky.edge.sync.engine import SyncEngine
from tests.edge.activation.conftest import Cloud
from tests.edge.activation.test_activate import _activate

runner = CliRunner()


def _stored_url(data_dir: Path) -> str:
    with sqlite3.connect(store_path(data_dir)) as conn:
        return str(conn.execute("SELECT cloud_url FROM sede_info").fetchone()[0])


def _set_cloud(data_dir: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(edge_app, ["set-cloud", *args, "--data-dir", str(data_dir)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def _localhost(url: str) -> str:
    # The same server under another name: what a caja behind a proxy or DNS alias sees.
    return url.replace("127.0.0.1", "localhost")


class TestActivationAddress:
    def test_the_caja_keeps_the_address_it_reached(self, cloud: Cloud, tmp_path: Path) -> None:
        # The cloud announces http://127.0.0.1:PORT; the caja reached it as localhost.
        code, out = _activate(_localhost(cloud.url) + "/", cloud.code(), tmp_path)
        assert code == 0, out
        assert _stored_url(tmp_path) == _localhost(cloud.url)

    def test_a_malformed_address_is_refused_before_anything(self, tmp_path: Path) -> None:
        code, out = _activate("cloud.example.com", "ABCD-EFGH-JKMN", tmp_path)
        assert code == 1
        assert "https://cloud.example.com" in out
        assert not store_path(tmp_path).exists()


class TestSetCloud:
    def test_moves_the_caja_after_checking_the_cloud_knows_it(
        self, cloud: Cloud, tmp_path: Path
    ) -> None:
        assert _activate(cloud.url, cloud.code(), tmp_path)[0] == 0
        code, out = _set_cloud(tmp_path, _localhost(cloud.url) + "/")
        assert code == 0, out
        assert "now syncs with" in out
        assert _stored_url(tmp_path) == _localhost(cloud.url)

    def test_an_address_with_no_cloud_is_refused_and_nothing_changes(
        self, cloud: Cloud, tmp_path: Path
    ) -> None:
        assert _activate(cloud.url, cloud.code(), tmp_path)[0] == 0
        code, out = _set_cloud(tmp_path, "http://127.0.0.1:1")
        assert code == 1
        assert "no answer from a cloud at http://127.0.0.1:1" in out
        assert _stored_url(tmp_path) == cloud.url

    def test_a_cloud_that_does_not_know_the_caja_is_refused(
        self, cloud: Cloud, tmp_path: Path
    ) -> None:
        assert _activate(cloud.url, cloud.code(), tmp_path)[0] == 0
        with sqlite3.connect(store_path(tmp_path)) as conn:  # as if another cloud's caja
            conn.execute("UPDATE sede_info SET device_credential = 'dc_not-this-clouds'")
        code, out = _set_cloud(tmp_path, _localhost(cloud.url))
        assert code == 1
        assert "does not know this caja" in out
        assert _stored_url(tmp_path) == cloud.url

    def test_no_check_stores_an_address_the_caja_cannot_reach_yet(
        self, cloud: Cloud, tmp_path: Path
    ) -> None:
        assert _activate(cloud.url, cloud.code(), tmp_path)[0] == 0
        code, out = _set_cloud(tmp_path, "https://nube.example.com", "--no-check")
        assert code == 0, out
        assert _stored_url(tmp_path) == "https://nube.example.com"

    def test_a_data_dir_with_no_caja_says_so(self, tmp_path: Path) -> None:
        code, out = _set_cloud(tmp_path, "https://nube.example.com")
        assert code == 1
        assert "holds no activated caja" in out


class TestRunOverride:
    def test_the_environment_overrides_the_stored_address_for_one_run(
        self, cloud: Cloud, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        assert _activate(cloud.url, cloud.code(), tmp_path)[0] == 0
        monkeypatch.setenv("STOCKY_EDGE_CLOUD_URL", "https://proxy.example.com")
        settings = EdgeSettings(data_dir=tmp_path)
        with Store.open(settings.store_path) as store:
            engine = SyncEngine.for_store(store, cloud_url=settings.cloud_url)
            assert str(engine.client._http.base_url) == "https://proxy.example.com"
            assert engine.subscription is not None
            assert engine.subscription.cloud_url == "https://proxy.example.com"
        assert _stored_url(tmp_path) == cloud.url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://nube.example.com/", "https://nube.example.com"),
        (" http://10.0.0.5:8000 ", "http://10.0.0.5:8000"),
        ("https://example.com/stocky/", "https://example.com/stocky"),
    ],
)
def test_normalized_addresses(url: str, expected: str) -> None:
    assert normalize_cloud_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "nube.example.com",
        "ftp://nube",
        "https://",
        "https://a:b@nube",
        "https://n?x=1",
        "http://n:99999",
    ],
)
def test_malformed_addresses(url: str) -> None:
    with pytest.raises(CloudAddressError):
        normalize_cloud_url(url)
