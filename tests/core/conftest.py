"""Fixtures for the emulator tests: a started emulator, a small raw-``requests`` client and test meshes."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from PIL import Image

from leonardo_blender.emulator import Emulator, EmulatorConfig

CUBE_OBJ = b"""# unit cube with UVs, as Blender's OBJ exporter writes it
o Cube
v 1.0 1.0 -1.0
v 1.0 -1.0 -1.0
v 1.0 1.0 1.0
v 1.0 -1.0 1.0
v -1.0 1.0 -1.0
v -1.0 -1.0 -1.0
v -1.0 1.0 1.0
v -1.0 -1.0 1.0
vn 0 1 0
vn 0 0 1
vn -1 0 0
vn 0 -1 0
vn 1 0 0
vn 0 0 -1
vt 0.625 0.5
vt 0.875 0.5
vt 0.875 0.75
vt 0.625 0.75
vt 0.375 0.75
vt 0.625 1.0
vt 0.375 1.0
vt 0.375 0.0
vt 0.625 0.0
vt 0.625 0.25
vt 0.375 0.25
vt 0.125 0.5
vt 0.375 0.5
vt 0.125 0.75
s 0
f 1/1/1 5/2/1 7/3/1 3/4/1
f 4/5/2 3/4/2 7/6/2 8/7/2
f 8/8/3 7/9/3 5/10/3 6/11/3
f 6/12/4 2/13/4 4/5/4 8/14/4
f 2/13/5 1/1/5 3/4/5 4/5/5
f 6/11/6 5/10/6 1/1/6 2/13/6
"""

NO_UV_OBJ = b"""v 0 0 0
v 1 0 0
v 0 1 0
f 1 2 3
"""

FAST = {"job_seconds": 0.2, "texture_size": 64}


def png_bytes(size: tuple[int, int] = (64, 48), color: tuple[int, int, int] = (200, 60, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()


class Client:
    """Raw HTTP helpers against one emulator (deliberately not the add-on's API client)."""

    def __init__(self, emulator: Emulator) -> None:
        self.emu = emulator
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {emulator.api_key}"

    def url(self, path: str) -> str:
        return self.emu.base_url + path

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.get(self.url(path), timeout=10, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        return self.session.post(self.url(path), json=body, timeout=10, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.delete(self.url(path), timeout=10, **kwargs)

    def new_model_slot(self, name: str = "cube") -> dict[str, Any]:
        response = self.post("/models-3d/upload", {"name": name, "modelExtension": "obj"})
        assert response.status_code == 200, response.text
        slot: dict[str, Any] = response.json()["uploadModelAsset"]
        return slot

    def upload_model(self, obj: bytes = CUBE_OBJ, name: str = "cube") -> str:
        """Upload slot + S3 POST; returns the model id."""
        slot = self.new_model_slot(name)
        response = requests.post(
            slot["modelUrl"],
            data=json.loads(slot["modelFields"]),
            files={"file": ("model.obj", obj)},
            timeout=10,
        )
        assert response.status_code == 204, response.text
        return str(slot["modelId"])

    def create_texture(self, model_id: str, **fields: Any) -> str:
        response = self.post("/generations-texture", {"prompt": "rusty metal", "modelAssetId": model_id, **fields})
        assert response.status_code == 200, response.text
        return str(response.json()["textureGenerationJob"]["id"])

    def wait(self, fetch: Callable[[], dict[str, Any]], timeout: float = 15.0) -> dict[str, Any]:
        """Poll until the fetched record's status is no longer PENDING."""
        deadline = time.monotonic() + timeout
        while True:
            record = fetch()
            if record["status"] != "PENDING":
                return record
            assert time.monotonic() < deadline, f"job still PENDING after {timeout}s"
            time.sleep(0.05)

    def texture(self, job_id: str) -> dict[str, Any]:
        response = self.get(f"/generations-texture/{job_id}")
        assert response.status_code == 200, response.text
        record: dict[str, Any] = response.json()["model_asset_texture_generations_by_pk"]
        return record

    def wait_texture(self, job_id: str) -> dict[str, Any]:
        return self.wait(lambda: self.texture(job_id))

    def generation(self, generation_id: str) -> dict[str, Any]:
        record: dict[str, Any] = self.get(f"/generations/{generation_id}").json()["generations_by_pk"]
        return record

    def variation(self, variation_id: str) -> dict[str, Any]:
        rows = self.get(f"/variations/{variation_id}").json()["generated_image_variation_generic"]
        assert len(rows) == 1
        record: dict[str, Any] = rows[0]
        return record

    def upload_init_image(self, data: bytes | None = None, extension: str = "png") -> str:
        response = self.post("/init-image", {"extension": extension})
        assert response.status_code == 200, response.text
        slot = response.json()["uploadInitImage"]
        upload = requests.post(
            slot["url"],
            data=json.loads(slot["fields"]),
            files={"file": (f"init.{extension}", data or png_bytes())},
            timeout=10,
        )
        assert upload.status_code == 204, upload.text
        return str(slot["id"])


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """A started emulator with fast jobs and small textures, stopped afterwards."""
    with Emulator(EmulatorConfig(**FAST)) as emu:
        yield emu


@pytest.fixture
def make_emulator() -> Iterator[Callable[..., Emulator]]:
    """Factory for emulators with other settings (FAST defaults); all are stopped afterwards."""
    started: list[Emulator] = []

    def make(**overrides: Any) -> Emulator:
        emu = Emulator(EmulatorConfig(**{**FAST, **overrides})).start()
        started.append(emu)
        return emu

    yield make
    for emu in started:
        emu.stop()


@pytest.fixture
def api(emulator: Emulator) -> Client:
    return Client(emulator)


@pytest.fixture
def client_for() -> Callable[[Emulator], Client]:
    return Client
