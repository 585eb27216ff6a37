"""What the target claims decides which 2.0.1 cases apply (Part 5 profiles and conditions),
and the fake 2.0.1 station answers device-model requests a CSMS may send at any time (B05-B08)
from its declared device model, over a real websocket.
"""

from __future__ import annotations

import asyncio
import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from harness import run_pytest
from websockets.asyncio.server import ServerConnection, serve

from pytest_ocpp.case import CaseContext, activate, deactivate
from pytest_ocpp.catalog import Condition, catalog
from pytest_ocpp.config import ConfigError, build_config
from pytest_ocpp.station import Station201
from pytest_ocpp.station.device_model import DeviceModel
from pytest_ocpp.versions import get_version


def _config(tmp_path: Path, text: str) -> Any:
    path = tmp_path / "ocpp.toml"
    path.write_text(textwrap.dedent(text), "utf-8")
    return build_config(lambda n: str(path) if n == "config" else None, lambda n: None, {})


# -- claims ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('[claims]\nprofiles = ["Smart Charing"]\n', "Smart Charing"),
        ('[claims]\nprofiles = "Core"\n', "list of profile names"),
        ('[claims]\nfeatures = ["C13"]\n', "C13"),
        ("[claims]\nfeatures = [13]\n", "feature ids"),
        ('[claims]\nfeature = ["C-13"]\n', "feature"),
        ('[device_model]\n"OCPPCommCtrlr" = 1\n', "OCPPCommCtrlr"),
        ('[device_model]\n"EVSE(1).Power" = { valeu = 1 }\n', "valeu"),
        ('[device_model]\n"EVSE(1).Power" = { value = 1, mutability = "RO" }\n', "RO"),
    ],
)
def test_malformed_claims_and_device_model_are_usage_errors(
    tmp_path: Path, text: str, named: str
) -> None:
    with pytest.raises(ConfigError, match=named.replace("(", r"\(").replace(")", r"\)")):
        _config(tmp_path, text)


def test_conditions_read_as_in_part_5() -> None:
    condition = Condition.parse("C-44 or not AQ-6")
    assert condition.holds(lambda f: f == "C-44")
    assert condition.holds(lambda f: False)  # AQ-6 not claimed: the CSMS accepts unknowns
    assert not condition.holds(lambda f: f == "AQ-6")
    both = Condition.parse("(UI-1.1 or UI-1.3) and C-29.1")
    assert both.holds(lambda f: f in ("UI-1.3", "C-29.1"))
    assert not both.holds(lambda f: f == "UI-1.3")
    for malformed in ("C-44 or", "C-44 and (AQ-6", "C44", "C-44 AQ-6"):
        with pytest.raises(ValueError):
            Condition.parse(malformed)


def test_catalogue_knows_profiles_and_uncertified_rows() -> None:
    k01 = catalog()[("2.0.1", "TC_K_01_CSMS")]
    assert k01.profiles == ("Smart Charging", "ISO 15118 Support")
    uncertified = [
        i for i in catalog().values() if i.version == "2.0.1" and i.side == "CSMS" and i.uncertified
    ]
    assert uncertified, "the catalogue has 2.0.1 CSMS rows outside certification"
    assert all("certification" in i.uncertified for i in uncertified)
    assert not catalog()[("2.0.1", "TC_B_01_CSMS")].uncertified


CLAIMS_MODULE = """
from pytest_ocpp.catalog import ocpp_case


@ocpp_case("TC_B_01_CSMS", version="2.0.1")
async def test_core_case(new_station):
    await new_station.booted()


@ocpp_case("TC_B_02_CSMS", version="2.0.1", requires="C-44")
async def test_conditional_case(new_station):
    await new_station.booted()


@ocpp_case("TC_K_01_CSMS", version="2.0.1")
async def test_smart_charging_case(new_station):
    await new_station.booted()
"""


def test_unclaimed_profiles_and_features_make_cases_not_applicable(tmp_path: Path) -> None:
    """A CSMS claiming only Core, without C-44, gets Core cases run, and the Smart Charging and
    C-44 cases not applicable with the claim named, never passed or failed."""
    (tmp_path / "test_claims.py").write_text(CLAIMS_MODULE, "utf-8")
    (tmp_path / "ocpp.toml").write_text(
        '[claims]\nprofiles = ["Core"]\nfeatures = ["C-13"]\n', "utf-8"
    )
    report = tmp_path / "r.json"
    done = run_pytest(
        tmp_path,
        "--ocpp-reference",
        "--ocpp-version=2.0.1",
        "--ocpp-config=ocpp.toml",
        "test_claims.py",
        "--ocpp-report",
        str(report),
    )
    cases = {c["id"]: c for c in json.loads(report.read_text("utf-8"))["cases"]}
    assert cases["TC_B_01_CSMS"]["verdict"] == "pass", done.stdout
    conditional = cases["TC_B_02_CSMS"]
    assert conditional["verdict"] == "not applicable"
    assert "C-44" in conditional["message"] and "[claims] features" in conditional["message"]
    smart = cases["TC_K_01_CSMS"]
    assert smart["verdict"] == "not applicable"
    assert "Smart Charging" in smart["message"] and "[claims] profiles" in smart["message"]


# -- the device model over a real websocket --------------------------------------------------
def test_device_model_defaults_follow_the_general_preconditions() -> None:
    """Part 6 §3.1: TxStartPoint EVConnected,Authorized, TxStopPoint EVConnected,
    AuthorizeRemoteStart false; one EVSE and one Connector component per EVSE."""
    model = DeviceModel.build(2, {"OCPPCommCtrlr.HeartbeatInterval": 60})
    assert model.value("TxCtrlr.TxStartPoint") == "EVConnected,Authorized"
    assert model.value("TxCtrlr.TxStopPoint") == "EVConnected"
    assert model.value("AuthCtrlr.AuthorizeRemoteStart") == "false"
    assert model.value("OCPPCommCtrlr.HeartbeatInterval") == "60"
    assert model.value("EVSE(2).AvailabilityState") == "Available"
    assert model.value("Connector(2,1).ConnectorType") == "cType2"
    assert model.value("EVSE(3).AvailabilityState") is None


@pytest.mark.asyncio
async def test_station_answers_variables_and_reports_from_its_device_model(
    tmp_path: Path,
) -> None:
    """A CSMS reads, writes and inventories the fake station: GetVariables answers the declared
    values (UnknownComponent/UnknownVariable otherwise), SetVariables rejects a ReadOnly
    variable and applies a ReadWrite one, GetBaseReport is Accepted and followed by
    NotifyReport pages of ItemsPerMessage entries with seqNo 0.. and tbc on all but the last."""
    cfg = _config(
        tmp_path,
        """
        [device_model]
        "OCPPCommCtrlr.HeartbeatInterval" = 60
        "DeviceDataCtrlr.ItemsPerMessage[GetReport]" = { value = 10, mutability = "ReadOnly" }
        """,
    )
    seen: list[list[Any]] = []
    done = asyncio.Event()

    async def csms(ws: ServerConnection) -> None:
        async def call(action: str, payload: dict[str, Any]) -> dict[str, Any]:
            await ws.send(json.dumps([2, action, action, payload]))
            while True:
                frame = json.loads(await ws.recv())
                if frame[0] == 2:  # a NotifyReport page
                    seen.append(frame)
                    await ws.send(json.dumps([3, frame[1], {}]))
                    continue
                return frame[2]

        got = await call(
            "GetVariables",
            {
                "getVariableData": [
                    {
                        "component": {"name": "OCPPCommCtrlr"},
                        "variable": {"name": "HeartbeatInterval"},
                    },
                    {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "Nope"}},
                    {"component": {"name": "NoSuchCtrlr"}, "variable": {"name": "Enabled"}},
                ]
            },
        )
        statuses = [r["attributeStatus"] for r in got["getVariableResult"]]
        assert statuses == ["Accepted", "UnknownVariable", "UnknownComponent"], got
        assert got["getVariableResult"][0]["attributeValue"] == "60"
        got = await call(
            "SetVariables",
            {
                "setVariableData": [
                    {
                        "component": {"name": "OCPPCommCtrlr"},
                        "variable": {"name": "HeartbeatInterval"},
                        "attributeValue": "30",
                    },
                    {
                        "component": {"name": "SecurityCtrlr"},
                        "variable": {"name": "SecurityProfile"},
                        "attributeValue": "3",
                    },
                ]
            },
        )
        assert [r["attributeStatus"] for r in got["setVariableResult"]] == ["Accepted", "Rejected"]
        got = await call("GetBaseReport", {"requestId": 7, "reportBase": "FullInventory"})
        assert got == {"status": "Accepted"}
        while not seen or seen[-1][3]["tbc"]:
            frame = json.loads(await asyncio.wait_for(ws.recv(), 5))
            seen.append(frame)
            await ws.send(json.dumps([3, frame[1], {}]))
        done.set()
        await ws.wait_closed()

    async with serve(csms, "127.0.0.1", 0, subprotocols=["ocpp2.0.1"]) as server:
        port = server.sockets[0].getsockname()[1]
        ctx = CaseContext(cfg, case_id="device-model")
        token = activate(ctx)
        try:
            station = Station201(
                ctx,
                url=f"ws://127.0.0.1:{port}",
                station_id="CP_DM",
                version=get_version("2.0.1"),
                spec=cfg.station,
                tags=cfg.tags,
            )
            await station.connect()
            await asyncio.wait_for(done.wait(), 10)
            await ctx.close()
        finally:
            deactivate(token)

    pages = [frame[3] for frame in seen]
    assert [p["seqNo"] for p in pages] == list(range(len(pages))) and len(pages) > 1
    assert all(p["requestId"] == 7 for p in pages)
    assert [p["tbc"] for p in pages] == [True] * (len(pages) - 1) + [False]
    assert all(len(p["reportData"]) <= 10 for p in pages)
    entries = [e for p in pages for e in p["reportData"]]
    heartbeat = [e for e in entries if e["variable"]["name"] == "HeartbeatInterval"]
    assert heartbeat[0]["variableAttribute"][0]["value"] == "30"  # the SetVariables took
    ctx.raise_findings()  # every frame the station sent was valid and answered


def test_readme_claims_and_device_model_examples_are_valid(tmp_path: Path) -> None:
    """The README's [claims] and [device_model] examples, copied verbatim, are accepted."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text("utf-8")
    blocks = [b.split("```", 1)[0] for b in readme.split("```toml")[1:]]
    for table in ("[claims]", "[device_model]"):
        (block,) = [b for b in blocks if b.lstrip().startswith(table)]
        _config(tmp_path, block)
