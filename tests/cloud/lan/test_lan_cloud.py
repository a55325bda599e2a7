"""The cloud's side of a sede's LAN: certificates from the tenant's own CA, the master's
lease (one holder at a time, an epoch that only grows) and the fence on pushes.

Real PostgreSQL; the caja side is plain HTTP with a device credential."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from fastapi import FastAPI
from sqlalchemy import select, update

from stocky.cloud.db import tenant_transaction
from stocky.cloud.models import Device, Sale, SedeLanLease, SyncOp
from stocky.edge.lan.identity import make_key_and_csr
from tests.cloud.factories import Caja, create_device, create_sede, create_shop
from tests.cloud.sync.conftest import SyncWorld, world
from tests.cloud.sync.ops import sale_op

pytestmark = pytest.mark.asyncio
__all__ = ["world"]  # the fixture


async def _lease(client: httpx.AsyncClient, caja: Caja, epoch: int = 0) -> httpx.Response:
    return await client.post(
        "/api/sync/lan/lease",
        json={"sede_id": str(caja.sede_id), "device_id": str(caja.device_id), "epoch": epoch},
        headers=caja.headers,
    )


async def _certificate(client: httpx.AsyncClient, caja: Caja, csr_pem: str) -> httpx.Response:
    return await client.post(
        "/api/sync/lan/certificate", json={"csr_pem": csr_pem}, headers=caja.headers
    )


async def _push(
    client: httpx.AsyncClient, caja: Caja, ops: list[dict[str, Any]], **extra: Any
) -> httpx.Response:
    body = {
        "sede_id": str(caja.sede_id),
        "device_id": str(caja.device_id),
        "operations": ops,
        **extra,
    }
    return await client.post("/api/sync/push", json=body, headers=caja.headers)


async def _expire_lease(cloud_app: FastAPI, caja: Caja) -> None:
    async with tenant_transaction(cloud_app.state.sessionmaker, caja.tenant_id) as session:
        await session.execute(
            update(SedeLanLease)
            .where(SedeLanLease.sede_id == caja.sede_id)
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )


class TestCertificates:
    async def test_a_caja_gets_a_certificate_of_its_tenants_ca_naming_it(
        self, client, cloud_app, world: SyncWorld
    ) -> None:
        key_pem, csr_pem = make_key_and_csr("whatever the caja asks for")
        response = await _certificate(client, world.caja, csr_pem)
        assert response.status_code == 200, response.text
        body = response.json()
        certificate = x509.load_pem_x509_certificate(body["certificate_pem"].encode())
        ca = x509.load_pem_x509_certificate(body["ca_pem"].encode())
        certificate.verify_directly_issued_by(ca)
        subject = certificate.subject
        caja = world.caja
        # The cloud writes the subject itself, whatever the CSR said.
        assert subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == str(caja.device_id)
        assert subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == str(
            caja.tenant_id
        )
        assert subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)[0].value == str(
            caja.sede_id
        )
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        assert san.value.get_values_for_type(x509.UniformResourceIdentifier) == [
            f"urn:stocky:device:{caja.device_id}"
        ]
        usage = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        assert set(usage) == {ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH}
        key = serialization.load_pem_private_key(key_pem, None)
        assert certificate.public_key() == key.public_key()
        assert body["device_id"] == str(caja.device_id)
        assert datetime.fromisoformat(body["not_after"]) > datetime.now(UTC) + timedelta(days=300)

    async def test_one_ca_per_tenant(self, client, cloud_app, world: SyncWorld) -> None:
        sm = cloud_app.state.sessionmaker
        other_sede = await create_sede(sm, world.shop.tenant_id, "Norte")
        same_tenant = await create_device(sm, world.shop.tenant_id, other_sede)
        other_shop = await create_shop(cloud_app, "Otra")
        other_tenant = await create_device(sm, other_shop.tenant_id, other_shop.sede_id)
        cas = []
        for caja in (world.caja, same_tenant, other_tenant):
            response = await _certificate(client, caja, make_key_and_csr("x")[1])
            assert response.status_code == 200, response.text
            cas.append(response.json()["ca_pem"])
        assert cas[0] == cas[1]
        assert cas[2] != cas[0]

    async def test_concurrent_first_requests_make_one_ca(
        self, client, cloud_app, world: SyncWorld
    ) -> None:
        sm = cloud_app.state.sessionmaker
        cajas = [world.caja] + [
            await create_device(sm, world.shop.tenant_id, world.shop.sede_id) for _ in range(4)
        ]
        answers = await asyncio.gather(
            *(_certificate(client, c, make_key_and_csr("x")[1]) for c in cajas)
        )
        assert [a.status_code for a in answers] == [200] * 5
        assert len({a.json()["ca_pem"] for a in answers}) == 1

    @pytest.mark.parametrize(
        "csr_pem",
        [
            "not a csr",
            "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n",
            "rsa",
            "p384",
        ],
    )
    async def test_a_bad_csr_is_refused_naming_the_field(
        self, client, world: SyncWorld, csr_pem: str
    ) -> None:
        if csr_pem in ("rsa", "p384"):
            key: Any = (
                rsa.generate_private_key(public_exponent=65537, key_size=2048)
                if csr_pem == "rsa"
                else ec.generate_private_key(ec.SECP384R1())
            )
            csr_pem = (
                x509.CertificateSigningRequestBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "x")]))
                .sign(key, hashes.SHA256())
                .public_bytes(serialization.Encoding.PEM)
                .decode()
            )
        response = await _certificate(client, world.caja, csr_pem)
        assert response.status_code == 422, response.text
        assert response.json()["message"].startswith("csr_pem: ")

    async def test_a_person_cannot_ask_for_a_caja_certificate(
        self, client, world: SyncWorld
    ) -> None:
        response = await client.post(
            "/api/sync/lan/certificate",
            json={"csr_pem": make_key_and_csr("x")[1]},
            headers=world.shop.owner,
        )
        assert response.status_code in (401, 403), response.text


class TestLease:
    async def test_one_holder_until_it_expires_then_the_epoch_grows(
        self, client, cloud_app, world: SyncWorld
    ) -> None:
        sm = cloud_app.state.sessionmaker
        first = world.caja
        second = await create_device(sm, first.tenant_id, first.sede_id)

        granted = (await _lease(client, first)).json()
        assert (granted["granted"], granted["epoch"]) == (True, 1)
        assert granted["device_id"] == str(first.device_id)

        refused = (await _lease(client, second, epoch=7)).json()
        assert refused["granted"] is False
        assert (refused["device_id"], refused["epoch"]) == (str(first.device_id), 1)

        renewed = (await _lease(client, first)).json()
        assert (renewed["granted"], renewed["epoch"]) == (True, 1)

        await _expire_lease(cloud_app, first)
        taken = (await _lease(client, second)).json()
        assert (taken["granted"], taken["epoch"], taken["device_id"]) == (
            True,
            2,
            str(second.device_id),
        )
        # The old master comes back: the lease is the other caja's now.
        back = (await _lease(client, first, epoch=1)).json()
        assert (back["granted"], back["epoch"]) == (False, 2)

    async def test_an_epoch_elected_offline_is_kept(
        self, client, cloud_app, world: SyncWorld
    ) -> None:
        second = await create_device(
            cloud_app.state.sessionmaker, world.caja.tenant_id, world.caja.sede_id
        )
        assert (await _lease(client, world.caja)).json()["epoch"] == 1
        await _expire_lease(cloud_app, world.caja)
        taken = (await _lease(client, second, epoch=9)).json()
        assert (taken["granted"], taken["epoch"]) == (True, 9)

    async def test_a_revoked_holder_loses_the_lease_at_once(
        self, client, cloud_app, world: SyncWorld
    ) -> None:
        second = await create_device(
            cloud_app.state.sessionmaker, world.caja.tenant_id, world.caja.sede_id
        )
        assert (await _lease(client, world.caja)).json()["granted"] is True
        async with tenant_transaction(cloud_app.state.sessionmaker, world.caja.tenant_id) as s:
            await s.execute(
                update(Device)
                .where(Device.id == world.caja.device_id)
                .values(status="revoked", revoked_at=datetime.now(UTC))
            )
        taken = (await _lease(client, second)).json()
        assert (taken["granted"], taken["epoch"]) == (True, 2)

    async def test_concurrent_requests_grant_one_caja(
        self, client, cloud_app, world: SyncWorld
    ) -> None:
        sm = cloud_app.state.sessionmaker
        cajas = [world.caja] + [
            await create_device(sm, world.caja.tenant_id, world.caja.sede_id) for _ in range(5)
        ]
        answers = [a.json() for a in await asyncio.gather(*(_lease(client, c) for c in cajas))]
        winners = {a["device_id"] for a in answers}
        assert len(winners) == 1
        assert sum(a["granted"] for a in answers) == 1

    async def test_only_for_its_own_sede_and_device(
        self, client, cloud_app, world: SyncWorld
    ) -> None:
        caja = world.caja
        other = Caja(caja.tenant_id, uuid.uuid4(), caja.device_id, caja.headers)
        response = await _lease(client, other)
        assert response.status_code == 403
        assert response.json()["message"].startswith("sede_id")
        impostor = Caja(caja.tenant_id, caja.sede_id, uuid.uuid4(), caja.headers)
        response = await _lease(client, impostor)
        assert response.status_code == 403
        assert response.json()["message"].startswith("device_id")
        response = await client.post(
            "/api/sync/lan/lease",
            json={"sede_id": str(caja.sede_id), "device_id": str(caja.device_id), "epoch": -1},
            headers=caja.headers,
        )
        assert response.status_code == 422
        assert "epoch" in response.json()["message"]


class TestFence:
    async def test_a_stale_master_is_refused_whole_and_nothing_applies(
        self, client, cloud_app, world: SyncWorld
    ) -> None:
        second = await create_device(
            cloud_app.state.sessionmaker, world.caja.tenant_id, world.caja.sede_id
        )
        assert (await _lease(client, world.caja)).json()["epoch"] == 1
        await _expire_lease(cloud_app, world.caja)
        assert (await _lease(client, second)).json()["epoch"] == 2

        op = sale_op([(world.rice.id, "1", "2500.00")])
        for caja, epoch in ((world.caja, 1), (world.caja, 2)):  # older, or same but not its
            response = await _push(client, caja, [op], lan_epoch=epoch)
            assert response.status_code == 409, response.text
            body = response.json()
            assert body["error"] == "stale_epoch"
            assert (body["epoch"], body["device_id"]) == (2, str(second.device_id))
        async with tenant_transaction(cloud_app.state.sessionmaker, world.caja.tenant_id) as s:
            assert (await s.execute(select(SyncOp))).first() is None
        # The new master's push of the same op applies.
        response = await _push(client, second, [op], lan_epoch=2)
        assert response.json()["results"][0]["status"] == "applied"

    async def test_a_relayed_op_is_recorded_for_the_caja_that_made_it(
        self, client, cloud_app, world: SyncWorld
    ) -> None:
        sm = cloud_app.state.sessionmaker
        slave = await create_device(sm, world.caja.tenant_id, world.caja.sede_id)
        master = world.caja
        epoch = (await _lease(client, master)).json()["epoch"]
        op = sale_op([(world.rice.id, "1", "2500.00")]) | {"origin_device_id": str(slave.device_id)}
        response = await _push(client, master, [op], lan_epoch=epoch)
        assert response.json()["results"][0]["status"] == "applied", response.text
        # The slave pushing its own copy (it reached the cloud first after a failover).
        again = await _push(
            client, slave, [{k: v for k, v in op.items() if k != "origin_device_id"}]
        )
        assert again.json()["results"][0]["status"] == "duplicate"
        async with tenant_transaction(sm, world.caja.tenant_id) as s:
            sale = (await s.execute(select(Sale))).scalar_one()
            assert sale.device_id == slave.device_id
            claim = (await s.execute(select(SyncOp))).scalar_one()
            assert claim.device_id == slave.device_id

    async def test_a_relay_for_no_caja_of_this_sede_is_refused_without_a_claim(
        self, client, cloud_app, world: SyncWorld
    ) -> None:
        sm = cloud_app.state.sessionmaker
        elsewhere = await create_device(
            sm, world.caja.tenant_id, await create_sede(sm, world.caja.tenant_id, "Sur")
        )
        ops = [
            sale_op([(world.rice.id, "1", "2500.00")], number=1)
            | {"origin_device_id": str(elsewhere.device_id)},
            sale_op([(world.rice.id, "1", "2500.00")], number=2)
            | {"origin_device_id": str(uuid.uuid4())},
            sale_op([(world.rice.id, "1", "2500.00")], number=3),
        ]
        response = await _push(client, world.caja, ops)
        assert response.status_code == 200, response.text
        results = response.json()["results"]
        assert [r["status"] for r in results] == ["rejected", "rejected", "applied"]
        assert results[0]["reason"].startswith("origin_device_id")
        async with tenant_transaction(sm, world.caja.tenant_id) as s:
            claims = (await s.execute(select(SyncOp.op_id))).scalars().all()
            assert [str(c) for c in claims] == [ops[2]["op_id"]]

    async def test_an_epoch_newer_than_the_lease_is_taken(
        self, client, cloud_app, world: SyncWorld
    ) -> None:
        assert (await _lease(client, world.caja)).json()["epoch"] == 1
        second = await create_device(
            cloud_app.state.sessionmaker, world.caja.tenant_id, world.caja.sede_id
        )
        op = sale_op([(world.rice.id, "1", "2500.00")])
        response = await _push(client, second, [op], lan_epoch=5)  # elected while offline
        assert response.json()["results"][0]["status"] == "applied"
