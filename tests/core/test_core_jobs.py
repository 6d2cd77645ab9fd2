"""The job record, its state machine, persistence format and journal; backoff; fingerprints."""

from __future__ import annotations

import json
import random
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leonardo_blender.core.backoff import Backoff, parse_retry_after
from leonardo_blender.core.fingerprint import obj_fingerprint, obj_stats
from leonardo_blender.core.jobs import (
    IllegalTransitionError,
    JobState,
    TextureJob,
    TextureParams,
    format_duration,
)
from leonardo_blender.core.journal import Journal


def make_job(**kwargs) -> TextureJob:
    return TextureJob(params=TextureParams(prompt="rusty iron", seed=7), object_name="Cube", **kwargs)


def test_happy_path_transitions_and_paid_flag():
    job = make_job()
    assert not job.state.paid
    for state in (
        JobState.UPLOADING,
        JobState.SUBMITTING,
        JobState.GENERATING,
        JobState.DOWNLOADING,
        JobState.DOWNLOADED,
        JobState.APPLIED,
    ):
        job.move_to(state)
    assert job.state.finished and job.state.paid


def test_illegal_transition_is_refused():
    job = make_job()
    with pytest.raises(IllegalTransitionError):
        job.move_to(JobState.APPLIED)
    job.move_to(JobState.UPLOADING)
    with pytest.raises(IllegalTransitionError):
        job.move_to(JobState.DOWNLOADED)


def test_failure_keeps_message_and_clears_on_resume():
    job = make_job(generation_id="g1")
    job.move_to(JobState.SUBMITTING)
    job.move_to(JobState.GENERATING)
    job.fail("boom", "retry")
    assert job.status_text().startswith("Failed: boom")
    assert job.resumable  # paid, generation known, no maps yet
    job.move_to(JobState.GENERATING)
    assert job.error == "" and job.error_action == ""


def test_json_round_trip_and_tolerance():
    job = make_job(generation_id="g1", maps={"ALBEDO": "/tmp/a.jpg"}, cost=150)
    job.move_to(JobState.SUBMITTING)
    data = json.loads(job.to_json())
    assert data["format"] == 1 and data["state"] == "SUBMITTING"
    data["some_future_field"] = 1
    data["params"]["future_param"] = True
    again = TextureJob.from_dict(data)
    assert again == job
    data["state"] = "WARPING"
    broken = TextureJob.from_dict(data)
    assert broken.state is JobState.FAILED and "WARPING" in broken.error


def test_snapshot_is_independent():
    job = make_job()
    snap = job.snapshot()
    job.maps["ALBEDO"] = "x"
    assert snap.maps == {}


def test_generating_status_shows_elapsed_time():
    job = make_job()
    job.move_to(JobState.SUBMITTING)
    job.move_to(JobState.GENERATING, now=100.0)
    job.accepted_at = 100.0
    assert job.status_text(now=165.0) == "Generating 1 min 05 s"
    assert format_duration(7322) == "2 h 02 min"


def test_journal_survives_concurrent_writes_and_damaged_files(tmp_path):
    journal = Journal(tmp_path / "jobs")
    jobs = [make_job(generation_id=f"g{i}") for i in range(8)]

    def write(job: TextureJob) -> None:
        for n in range(20):
            job.cost = n
            journal.save(job)

    threads = [threading.Thread(target=write, args=(j,)) for j in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    (tmp_path / "jobs" / "garbage.json").write_text("{not json")
    loaded = {j.id: j for j in journal.all()}
    assert set(loaded) == {j.id for j in jobs}
    assert all(j.cost == 19 for j in loaded.values())
    assert not list((tmp_path / "jobs").glob("*.tmp"))
    journal.remove(jobs[0].id)
    assert journal.load(jobs[0].id) is None


def test_backoff_grows_to_cap_and_jitters_downward():
    backoff = Backoff(base=1.0, cap=10.0, factor=2.0, jitter=0.5)
    rng = random.Random(3)
    delays = [backoff.delay(n, rng) for n in range(8)]
    assert all(0.5 * min(10, 2**n) <= d <= min(10, 2**n) for n, d in enumerate(delays))
    assert max(delays) <= 10.0
    assert backoff.delay_honouring(0, 7.0, rng) >= 7.0


@pytest.mark.parametrize(
    ("header", "expected"),
    [("3", 3.0), (" 1.5 ", 1.5), ("-1", None), ("soon", None), (None, None), ("", None)],
)
def test_parse_retry_after(header, expected):
    assert parse_retry_after(header) == expected


def test_parse_retry_after_http_date():
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now_epoch=1445412480.0) == pytest.approx(10.0)


CUBE = b"""# Blender 5.0.1
# www.blender.org
mtllib cube.mtl
o Cube
v 1 1 -1
v 1 -1 -1
v 1 1 1
vt 0.625 0.5
vt 0.375 0.5
vt 0.625 0.75
s 0
usemtl Material
f 1/1 2/2 3/3
"""


def test_fingerprint_ignores_names_comments_and_line_endings():
    renamed = CUBE.replace(b"o Cube", b"o Crate").replace(b"# Blender 5.0.1", b"# Blender 4.2.23")
    crlf = CUBE.replace(b"\n", b"\r\n")
    assert obj_fingerprint(CUBE) == obj_fingerprint(renamed) == obj_fingerprint(crlf)
    moved = CUBE.replace(b"v 1 1 1", b"v 1 1 1.001")
    other_uv = CUBE.replace(b"vt 0.625 0.75", b"vt 0.625 0.76")
    assert obj_fingerprint(moved) != obj_fingerprint(CUBE)
    assert obj_fingerprint(other_uv) != obj_fingerprint(CUBE)
    assert obj_stats(CUBE) == (3, 3, 1)


@given(st.binary(max_size=400))
def test_fingerprint_never_raises(data):
    assert len(obj_fingerprint(data)) == 64


@pytest.mark.parametrize("data", [CUBE, CUBE.replace(b"\n", b"\r\n"), b"", b"# only a comment\n"])
def test_a_file_hashes_like_its_bytes(tmp_path, data):
    from leonardo_blender.core.fingerprint import obj_file_fingerprint

    path = tmp_path / "mesh.obj"
    path.write_bytes(data)
    assert obj_file_fingerprint(path) == obj_fingerprint(data)
