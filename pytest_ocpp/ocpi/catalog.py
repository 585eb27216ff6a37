"""The OCPI 2.2.1 test cases: our own catalogue, since no OCPI body publishes conformance test
ids. Each row is a flow of the specification with the section it checks; the compliance summary
shows them under "OCPI 2.2.1", one row per module, like the OCPP profiles."""

from __future__ import annotations

from pytest_ocpp.catalog import CaseInfo

VERSION = "OCPI 2.2.1"
SIDE = "CSMS"
"""The CPO interface of a CSMS is under test; pytest-ocpp plays the eMSP."""

_ROWS: tuple[tuple[str, str, str, str], ...] = (
    # id, profile (module), title, what the case checks
    (
        "OCPI_VER_01",
        "Versions",
        "Version information and version details",
        "GET versions: Version list with 2.2.1; GET its URL: VersionDetails with credentials",
    ),
    (
        "OCPI_CRED_01",
        "Credentials",
        "Registration with CREDENTIALS_TOKEN_A",
        "POST credentials with token B and our versions URL; the CPO fetches our versions and "
        "details with token B; token C returned and accepted",
    ),
    (
        "OCPI_CRED_02",
        "Credentials",
        "CREDENTIALS_TOKEN_A rejected after the registration",
        "token A on versions, version details and locations: HTTP 401",
    ),
    (
        "OCPI_CRED_03",
        "Credentials",
        "POST credentials while registered",
        "a second POST with token C: HTTP 405",
    ),
    (
        "OCPI_CRED_04",
        "Credentials",
        "PUT credentials: update and token reset",
        "PUT with a new token B: our versions fetched again with it; a new token C; the former "
        "token C rejected",
    ),
    (
        "OCPI_CRED_05",
        "Credentials",
        "DELETE credentials: unregister",
        "DELETE with token C: 1000; afterwards token C rejected with HTTP 401",
    ),
    (
        "OCPI_TRANS_01",
        "Transport",
        "Authorization header",
        "no header and an unknown token: HTTP 401; the CPO's own requests carry token B in Base64",
    ),
    (
        "OCPI_TRANS_02",
        "Transport",
        "X-Request-ID and X-Correlation-ID",
        "echoed in every response; present in the CPO's own requests",
    ),
    (
        "OCPI_TRANS_03",
        "Transport",
        "Status codes and the response format",
        "non-JSON body: HTTP 400; unknown Location: no 1000; every response an OCPI response "
        "object with a UTC timestamp",
    ),
    (
        "OCPI_TRANS_04",
        "Transport",
        "Pagination",
        "GET locations, sessions and cdrs with limit: X-Total-Count, X-Limit, Link to the next "
        "page; crawling the Links returns every object once",
    ),
    (
        "OCPI_LOC_01",
        "Locations",
        "Locations, EVSEs and Connectors",
        "every Location valid; GET of one Location, EVSE and Connector returns the same object",
    ),
    (
        "OCPI_CMD_01",
        "Commands",
        "START_SESSION and STOP_SESSION across OCPI and OCPP",
        "START_SESSION: CommandResponse ACCEPTED, the CSMS sends RemoteStartTransaction / "
        "RequestStartTransaction to our station, CommandResult ACCEPTED; the Session pushed "
        "with kWh rising with our meter values; STOP_SESSION stops it over OCPP; a CDR with "
        "the metered energy; every request of the CPO (pushes, results) with token B in "
        "Base64, message ids and a valid object",
    ),
    (
        "OCPI_CMD_02",
        "Commands",
        "START_SESSION at an unknown Location or EVSE",
        "OCPI status 2003 (Unknown Location); nothing sent to the station (watched for "
        "--ocpp-message-timeout)",
    ),
    (
        "OCPI_CMD_03",
        "Commands",
        "START_SESSION the station rejects",
        "CommandResponse ACCEPTED, the station answers Rejected, CommandResult REJECTED",
    ),
    (
        "OCPI_CMD_04",
        "Commands",
        "STOP_SESSION of an unknown session",
        "CommandResponse UNKNOWN_SESSION",
    ),
    (
        "OCPI_CMD_05",
        "Commands",
        "START_SESSION with another eMSP's Token",
        "CommandResponse REJECTED (or an OCPI 2xxx error); nothing sent to the station "
        "(watched for --ocpp-message-timeout)",
    ),
    (
        "OCPI_CMD_06",
        "Commands",
        "START_SESSION the station never answers",
        "CommandResponse ACCEPTED, no answer from the station, CommandResult TIMEOUT within "
        "the CommandResponse timeout",
    ),
    (
        "OCPI_TOK_01",
        "Tokens",
        "Push, read back and invalidate a Token",
        "PUT a Token to the CPO's Tokens receiver (?type=RFID); GET returns it equal and valid "
        "against §Token Object; PATCH valid false with last_updated; GET shows the change",
    ),
    (
        "OCPI_TOK_02",
        "Tokens",
        "Real-time authorization across OCPI and OCPP",
        "two Tokens with whitelist NEVER pushed; our station presents each in an OCPP "
        "Authorize; the CPO asks our Tokens sender (POST {uid}/authorize) before answering; "
        "ALLOWED becomes Accepted, BLOCKED becomes Blocked (or Invalid)",
    ),
)

CASES: dict[tuple[str, str], CaseInfo] = {
    (VERSION, case_id): CaseInfo(
        id=case_id,
        version=VERSION,
        side=SIDE,
        block=profile,
        title=title,
        profile=profile,
        steps_summary=steps,
        document="OCPI 2.2.1 (pytest-ocpp catalogue)",
    )
    for case_id, profile, title, steps in _ROWS
}
