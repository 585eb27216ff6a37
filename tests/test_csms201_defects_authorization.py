"""The OCPP 2.0.1 CSMS-side cases of C. Authorization and D. Local Authorization List
Management (Part 6 §3.4-3.5) can fail: each run here breaks one behaviour of the reference CSMS
(a ``v201_*`` toggle of :data:`~pytest_ocpp.reference.csms.DEFECTS` from
``reference/csms/v201/authorization.py`` or ``local_list.py``) and proves that the cases
checking it report "fail", with the broken rule in the message, not "error" and not "not
applicable", while the controls run beside them still pass.

Same plumbing as the other defect files (``harness.py``): one ``pytest`` process per defect
against a broken reference reached through ``--ocpp-target`` and the command operator, verdicts
read from the JSON compliance report, a few processes at a time. The conformant half of the
proof is ``test_suite_against_reference.py``.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest
import pytest_ocpp.testcases.ocpp201.csms
from harness import (
    Defect,
    Runs,
    assert_defect_caught,
    assert_passes,
    cases_of,
    csms201_defect_run,
    implemented_cases,
    reference_csms,
    run_suite,
    runs_fixture,
)

from pytest_ocpp.catalog import catalog
from pytest_ocpp.config import IdTags
from pytest_ocpp.embedded import reference_id_tags
from pytest_ocpp.reference.csms import DEFECTS
from pytest_ocpp.reference.csms.v201.authorization import DEFECTS_AUTHORIZATION
from pytest_ocpp.reference.csms.v201.local_list import DEFECTS_LOCAL_LIST

BLOCKS = ("Authorization", "LocalAuthorizationListManagement")
"""The catalogue's names of Part 6 §3.4 (C) and §3.5 (D)."""

BLOCK_CASES = sorted(
    info.id
    for info in catalog().values()
    if info.version == "2.0.1" and info.side == "CSMS" and info.block in BLOCKS
)
"""Every OCTT 2.0.1 CSMS-side case of blocks C and D, as the catalogue has them."""

GROUP_CASES = ("TC_C_39_CSMS", "TC_C_40_CSMS", "TC_C_43_CSMS")
MASTER_PASS_CASES = ("TC_C_47_CSMS", "TC_C_48_CSMS", "TC_C_49_CSMS")
SEND_LIST_CASES = ("TC_D_01_CSMS", "TC_D_02_CSMS", "TC_D_03_CSMS", "TC_D_04_CSMS")

DEFECT_CASES: tuple[Defect, ...] = (
    Defect(
        "v201_accept_unknown_id_token",
        ("TC_C_02_CSMS", "TC_C_20_CSMS"),
        "idTokenInfo.status Invalid or Unknown",
    ),
    Defect("v201_accept_blocked_id_token", ("TC_C_06_CSMS",), "status Blocked or Invalid"),
    Defect("v201_accept_expired_id_token", ("TC_C_07_CSMS",), "status Expired or Invalid"),
    # A token the station took from its cache or local list reaches the CSMS first in a
    # TransactionEventRequest; a CSMS that only knows tokens it was asked about in an
    # AuthorizeRequest breaks C12.FR.03.
    Defect(
        "v201_unknown_until_authorized",
        ("TC_C_08_CSMS", *GROUP_CASES),
        "TransactionEventResponse idTokenInfo.status Accepted",
    ),
    Defect(
        "v201_authorize_omits_group_id_token",
        ("TC_C_39_CSMS", "TC_C_43_CSMS", *MASTER_PASS_CASES),
        "AuthorizeResponse idTokenInfo.groupIdToken.idToken",
    ),
    Defect(
        "v201_group_id_token_is_own_id_token",
        (*GROUP_CASES, *MASTER_PASS_CASES),
        "idTokenInfo.groupIdToken.idToken",
    ),
    Defect(
        "v201_emaid_unknown",
        ("TC_C_50_CSMS", "TC_C_52_CSMS"),
        "AuthorizeResponse idTokenInfo.status Accepted (C07.FR.04",
    ),
    Defect(
        "v201_no_certificate_status",
        ("TC_C_50_CSMS", "TC_C_51_CSMS", "TC_C_52_CSMS"),
        "AuthorizeResponse certificateStatus",
    ),
    Defect(
        "v201_revoked_contract_accepted",
        ("TC_C_51_CSMS",),
        "certificateStatus CertificateRevoked (C07.FR.16)",
    ),
    Defect(
        "v201_central_contract_validation_unsupported",
        ("TC_C_52_CSMS",),
        "certificateStatus Accepted (C07.FR.14)",
    ),
    Defect(
        "v201_clear_cache_never_sent",
        ("TC_C_37_CSMS", "TC_C_38_CSMS"),
        "did not send ClearCache",
    ),
    Defect(
        "v201_send_local_list_wrong_update_type",
        SEND_LIST_CASES,
        "SendLocalListRequest updateType",
    ),
    Defect(
        "v201_send_local_list_version_zero",
        SEND_LIST_CASES,
        "SendLocalListRequest versionNumber bigger than",
    ),
    Defect(
        "v201_send_local_list_version_not_increased",
        ("TC_D_02_CSMS", "TC_D_03_CSMS"),
        "versionNumber bigger than 1",
    ),
    Defect(
        "v201_send_local_list_without_id_token_info",
        ("TC_D_01_CSMS",),
        "idTokenInfo not empty for every entry",
    ),
    Defect(
        "v201_send_local_list_removal_with_id_token_info",
        ("TC_D_03_CSMS",),
        "elements without idTokenInfo (D01.FR.17",
    ),
    Defect(
        "v201_send_local_list_full_empty_has_entries",
        ("TC_D_04_CSMS",),
        "localAuthorizationList empty (D01.FR.04)",
    ),
    Defect(
        "v201_send_local_list_drops_entries",
        ("TC_D_01_CSMS", "TC_D_02_CSMS", "TC_D_03_CSMS"),
        "SendLocalListRequest localAuthorizationList",
    ),
    Defect(
        "v201_get_local_list_version_never_sent",
        ("TC_D_08_CSMS", "TC_D_09_CSMS"),
        "did not send GetLocalListVersion",
    ),
)

#: Cases run beside the failing ones: each meets the broken behaviour (or its neighbour) but
#: does not judge it, so a defect that breaks everything proves nothing.
CONTROLS: dict[str, tuple[str, ...]] = {
    "v201_accept_unknown_id_token": ("TC_C_06_CSMS",),
    "v201_accept_blocked_id_token": ("TC_C_07_CSMS",),
    "v201_accept_expired_id_token": ("TC_C_02_CSMS",),
    # Tokens presented in an AuthorizeRequest first are still known.
    "v201_unknown_until_authorized": ("TC_C_47_CSMS", "TC_C_50_CSMS"),
    # No AuthorizeRequest in the local-list case: its TransactionEventResponses keep the group.
    "v201_authorize_omits_group_id_token": ("TC_C_40_CSMS",),
    "v201_group_id_token_is_own_id_token": ("TC_C_02_CSMS",),
    # A revoked chain is answered Invalid whatever the eMAID.
    "v201_emaid_unknown": ("TC_C_51_CSMS",),
    "v201_no_certificate_status": ("TC_C_02_CSMS",),
    "v201_revoked_contract_accepted": ("TC_C_50_CSMS",),
    # Hash data (local validation) are still answered.
    "v201_central_contract_validation_unsupported": ("TC_C_50_CSMS",),
    "v201_clear_cache_never_sent": ("TC_C_02_CSMS",),
    "v201_send_local_list_wrong_update_type": ("TC_D_09_CSMS",),
    "v201_send_local_list_version_zero": ("TC_D_09_CSMS",),
    # Full updates are numbered as asked.
    "v201_send_local_list_version_not_increased": ("TC_D_01_CSMS", "TC_D_04_CSMS"),
    # A Differential update's entries are not judged for idTokenInfo.
    "v201_send_local_list_without_id_token_info": ("TC_D_02_CSMS",),
    "v201_send_local_list_removal_with_id_token_info": ("TC_D_02_CSMS",),
    "v201_send_local_list_full_empty_has_entries": ("TC_D_01_CSMS",),
    "v201_send_local_list_drops_entries": ("TC_D_04_CSMS",),
    "v201_get_local_list_version_never_sent": ("TC_D_01_CSMS",),
}

UNFAILABLE: dict[str, str] = {}
"""Cases of blocks C and D that no defect can fail, with the reason: none."""

OPERATOR_TIMEOUT: dict[str, float] = {
    "v201_clear_cache_never_sent": 4,
    "v201_get_local_list_version_never_sent": 4,
}
"""``--ocpp-operator-timeout`` where the defect shows as the request never arriving: waiting it
out is the proof, so it is kept short (the control CLI starts in well under a second)."""


runs = runs_fixture(
    {
        d.name: partial(
            csms201_defect_run,
            d,
            CONTROLS.get(d.name, ()),
            operator_timeout=OPERATOR_TIMEOUT.get(d.name, 10.0),
        )
        for d in DEFECT_CASES
    },
    param="defect",
)
"""One broken reference CSMS per selected defect, their suites run concurrently."""


def _implemented_201_csms_cases() -> set[str]:
    return implemented_cases(pytest_ocpp.testcases.ocpp201.csms, "2.0.1")


def test_catalogue_lists_22_cases_of_blocks_c_and_d() -> None:
    """The brief's 16 C and 6 D cases, as the catalogue has them."""
    assert len(BLOCK_CASES) == 22, BLOCK_CASES


def test_every_block_case_is_implemented() -> None:
    missing = sorted(set(BLOCK_CASES) - _implemented_201_csms_cases())
    assert not missing, f"2.0.1 CSMS cases of blocks C and D without an implementation: {missing}"


def test_every_block_case_meets_a_defect() -> None:
    """The table names this block's defects, each once, all of them, and makes every case of
    blocks C and D fail at least once (or excuses it in :data:`UNFAILABLE`)."""
    names = [d.name for d in DEFECT_CASES]
    assert len(set(names)) == len(names)
    assert set(names) == set(DEFECTS_AUTHORIZATION) | set(DEFECTS_LOCAL_LIST)
    assert set(names) <= set(DEFECTS)
    assert set(cases_of(DEFECT_CASES)) | set(UNFAILABLE) == set(BLOCK_CASES)
    assert set(CONTROLS) <= set(names)


@pytest.mark.parametrize("defect", DEFECT_CASES, ids=str)
def test_case_fails_on_defect(defect: Defect, runs: Runs) -> None:
    """Each named case's verdict is "fail" with the broken rule in its message; the controls
    still pass."""
    report = runs[defect.name]
    assert_defect_caught(report, defect)
    assert_passes(report, CONTROLS.get(defect.name, ()))


def test_authorization_data_comes_from_the_config(tmp_path: Path) -> None:
    """OCTT's configured master pass and masterPassGroupId (``[tags] masterpass`` /
    ``masterpass_group``), group tokens, eMAID, contract certificate chain (``[station]
    contract_certificate_chain``, here a file path) and list version (``[station]
    local_list_version``) are what the cases send and expect."""
    tags = IdTags(
        valid_2_with_parent="FAMILY_2",
        valid_with_parent="FAMILY_1",
        parent="FAMILY",
        masterpass="POLICE_CARD_7",
        masterpass_group="POLICE",
    )
    chain = tmp_path / "contract.pem"
    from pytest_ocpp.testcases.ocpp201.csms.test_authorization_15118 import (
        DEFAULT_CONTRACT_CHAIN,
    )

    chain.write_text(DEFAULT_CONTRACT_CHAIN, "utf-8")
    config = tmp_path / "ocpp.toml"
    config.write_text(
        "[tags]\n"
        + "".join(
            f'{name} = "{getattr(tags, name)}"\n'
            for name in ("valid_with_parent", "valid_2_with_parent", "parent", "masterpass")
        )
        + f'masterpass_group = "{tags.masterpass_group}"\n'
        + "[station]\n"
        + f'contract_certificate_chain = "{chain.name}"\n'
        + "local_list_version = 7\n",
        "utf-8",
    )
    cases = ("TC_C_39_CSMS", "TC_C_48_CSMS", "TC_C_50_CSMS", "TC_D_08_CSMS")
    with reference_csms(versions=("2.0.1",), id_tags=reference_id_tags(tags)) as csms:
        report = run_suite(
            tmp_path / "run",
            *csms.args,
            "--ocpp-version",
            "2.0.1",
            "--ocpp-config",
            str(config),
            ids=cases,
        )
    assert_passes(report, cases)
    traces = {case["id"]: str(case["trace"]) for case in report.cases}
    assert '"groupIdToken":{"idToken":"POLICE"' in traces["TC_C_48_CSMS"].replace(" ", "")
    assert "FAMILY_2" in traces["TC_C_39_CSMS"]
    assert '"versionNumber":7' in traces["TC_D_08_CSMS"].replace(" ", "")
