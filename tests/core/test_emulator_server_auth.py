"""Emulator: Bearer auth, Hasura error shapes, isolation of instances and loopback-only listening."""

from __future__ import annotations

import socket
import uuid
from pathlib import Path

import requests

from leonardo_blender.emulator import DEMO_API_KEY, Emulator, EmulatorConfig

UNAUTHORIZED = {
    "error": "Authentication hook unauthorized this request",
    "path": "$",
    "code": "access-denied",
}
HOOK_FAILED = {"error": "Invalid response from authorization hook", "path": "$", "code": "unexpected"}


def test_missing_key_is_401_access_denied(emulator):
    response = requests.get(emulator.base_url + "/me", timeout=5)
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def test_wrong_uuid_key_is_401(emulator):
    other_key = str(uuid.uuid4())
    assert other_key != emulator.api_key
    response = requests.get(emulator.base_url + "/me", headers={"Authorization": f"Bearer {other_key}"}, timeout=5)
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def test_key_that_is_not_uuid_shaped_is_500_from_the_auth_hook(emulator):
    for key in ("not-a-uuid", emulator.api_key + "x", ""):
        response = requests.get(emulator.base_url + "/me", headers={"Authorization": f"Bearer {key}"}, timeout=5)
        assert response.status_code == 500, key
        assert response.json() == HOOK_FAILED


def test_key_without_bearer_scheme_is_401(emulator):
    response = requests.get(emulator.base_url + "/me", headers={"Authorization": emulator.api_key}, timeout=5)
    assert response.status_code == 401


def test_unauthenticated_requests_are_logged_but_not_counted(emulator, api):
    requests.get(emulator.base_url + "/me", timeout=5)
    assert emulator.count("GET", "/me") == 0
    assert [r.status for r in emulator.requests] == [401]
    api.get("/me")
    assert emulator.count("GET", "/me") == 1
    assert emulator.requests[-1].status == 200
    assert emulator.requests[-1].route == "GET /me"


def test_demo_key_is_the_default_and_a_custom_key_replaces_it(make_emulator):
    default = make_emulator()
    assert default.api_key == DEMO_API_KEY
    uuid.UUID(DEMO_API_KEY)
    custom_key = str(uuid.uuid4())
    custom = make_emulator(api_key=custom_key)
    me = requests.get(custom.base_url + "/me", headers={"Authorization": f"Bearer {custom_key}"}, timeout=5)
    assert me.status_code == 200
    demo = requests.get(custom.base_url + "/me", headers={"Authorization": f"Bearer {DEMO_API_KEY}"}, timeout=5)
    assert demo.status_code == 401
    assert me.json()["user_details"][0]["user"]["id"] == custom.user_id != default.user_id


def test_me_reports_user_and_balance(emulator, api):
    details = api.get("/me").json()["user_details"]
    assert len(details) == 1
    me = details[0]
    assert me["user"] == {"id": emulator.user_id, "username": "emulator-user"}
    assert me["apiSubscriptionTokens"] == emulator.credits == 10_000
    assert me["apiConcurrencySlots"] == 10
    for key in (
        "paidTokens",
        "subscriptionTokens",
        "subscriptionGptTokens",
        "subscriptionModelTokens",
        "apiPaidTokens",
        "tokenRenewalDate",
        "apiPlanTokenRenewalDate",
    ):
        assert key in me


def test_unknown_endpoint_and_wrong_method(api):
    missing = api.get("/no-such-thing")
    assert missing.status_code == 404 and missing.json()["code"] == "not-found"
    wrong_method = api.session.put(api.url("/me"), timeout=5)
    assert wrong_method.status_code == 405 and set(wrong_method.json()) == {"error", "path", "code"}


def test_two_emulators_are_independent(make_emulator, client_for):
    first, second = make_emulator(credits=500), make_emulator(credits=900)
    client_for(first).post("/prompt/random")
    assert first.credits == 496 and second.credits == 900
    assert first.count("POST", "/prompt/random") == 1 and second.count("POST", "/prompt/random") == 0
    assert len(second.requests) == 0


def _listening_ports() -> dict[int, set[str]]:
    """Local address per listening TCP port, read from /proc (IPv4 and IPv6)."""
    found: dict[int, set[str]] = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        path = Path(table)
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            local, state = fields[1], fields[3]
            if state != "0A":  # LISTEN
                continue
            address, port_hex = local.rsplit(":", 1)
            found.setdefault(int(port_hex, 16), set()).add(address)
    return found


def test_every_socket_listens_on_127_0_0_1_only(emulator):
    ports = emulator.ports
    assert len(set(ports.values())) == 3
    listening = _listening_ports()
    for name, port in ports.items():
        assert listening.get(port) == {"0100007F"}, f"{name} port {port} listens on {listening.get(port)}"
    # and nothing answers on another local address of the machine
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(1)
        try:
            probe.connect(("127.0.0.2", ports["api"]))
            connected = True
        except OSError:
            connected = False
    assert not connected
    assert emulator.base_url == f"http://127.0.0.1:{ports['api']}/api/rest/v1"


def test_stop_closes_every_port():
    emu = Emulator(EmulatorConfig(job_seconds=0.2, texture_size=64)).start()
    ports = emu.ports
    emu.stop()
    listening = _listening_ports()
    assert not set(ports.values()) & set(listening)
