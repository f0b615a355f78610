"""Sources: a real SFTP server on 127.0.0.1 (asyncssh) and a local drop folder."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from mast.core.errors import SourceError
from mast.loaders.pull import pull_and_ingest
from mast.loaders.sources import FolderSource, SftpSource, acceptable_name
from tests.support.harness import GOOD, HEADER, Harness, write
from tests.support.sftp_server import SftpServer, serving

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def sftp_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SftpServer]:
    with serving(tmp_path_factory.mktemp("sftp")) as server:
        yield server


def test_sftp_pull_takes_only_new_complete_files(sftp_server: SftpServer, harness: Harness) -> None:
    outbox = sftp_server.root / "outbox"
    write(outbox / "test_day1.csv", HEADER + GOOD)
    write(outbox / "test_day2.csv.part", HEADER + GOOD.replace("1,", "2,", 1))  # still uploading
    write(outbox / ".test_hidden.csv", HEADER + GOOD)
    source = SftpSource(sftp_server.config(patterns=("test_*",)))
    first = pull_and_ingest(harness.engine, harness.settings, source, harness.feeds)
    assert [(r.name, r.status, r.stored) for r in first] == [("test_day1.csv", "loaded", 1)]
    assert pull_and_ingest(harness.engine, harness.settings, source, harness.feeds) == []
    (outbox / "test_day2.csv.part").rename(outbox / "test_day2.csv")  # upload finished
    second = pull_and_ingest(harness.engine, harness.settings, source, harness.feeds)
    assert [(r.name, r.stored) for r in second] == [("test_day2.csv", 1)]
    assert (outbox / "test_day1.csv").exists()  # nothing deleted remotely unless configured
    assert harness.count() == 2
    assert not any(harness.settings.staging_dir.iterdir())


def test_sftp_refuses_an_unknown_host_key(sftp_server: SftpServer, harness: Harness) -> None:
    source = SftpSource(sftp_server.config(known_hosts=sftp_server.wrong_known_hosts))
    with pytest.raises(SourceError, match="host key"):
        pull_and_ingest(harness.engine, harness.settings, source, harness.feeds)


def test_sftp_delete_after_when_configured(sftp_server: SftpServer, harness: Harness) -> None:
    outbox = sftp_server.root / "outbox"
    write(outbox / "test_delete_me.csv", HEADER + GOOD.replace("1,", "7,", 1))
    source = SftpSource(sftp_server.config(patterns=("test_delete_*",), delete_after=True))
    results = pull_and_ingest(harness.engine, harness.settings, source, harness.feeds)
    assert [r.stored for r in results] == [1]
    assert not (outbox / "test_delete_me.csv").exists()


@pytest.mark.parametrize(
    "name",
    [
        "../etc.csv",
        "a\x00b.csv",
        "a\nb.csv",
        "-rf.csv",
        "x.csv.tmp",
        ".hidden.csv",
        "x.csv.part",
        "a/b.csv",
    ],
)
def test_unsafe_or_incomplete_names_are_refused(name: str) -> None:
    assert not acceptable_name(name)


def test_drop_folder_ignores_links_out_and_partial_files(harness: Harness, tmp_path: Path) -> None:
    drop, outside = tmp_path / "drop", tmp_path / "outside"
    drop.mkdir()
    outside.mkdir()
    write(outside / "test_secret.csv", HEADER + GOOD)
    (drop / "test_link.csv").symlink_to(outside / "test_secret.csv")
    write(drop / "test_ok.csv", HEADER + GOOD.replace("1,", "3,", 1))
    write(drop / "test_wip.csv.tmp", HEADER + GOOD)
    source = FolderSource(drop, ("test_*",))
    results = pull_and_ingest(harness.engine, harness.settings, source, harness.feeds)
    assert [r.name for r in results] == ["test_ok.csv"]
    assert pull_and_ingest(harness.engine, harness.settings, source, harness.feeds) == []


@pytest.mark.parametrize("over", ["sftp", "folder"])
def test_with_manifests_only_vouched_for_bytes_are_taken(
    over: str, sftp_server: SftpServer, harness: Harness, tmp_path: Path
) -> None:
    folder = sftp_server.root / "manifests" if over == "sftp" else tmp_path / "drop"
    folder.mkdir(parents=True, exist_ok=True)
    source = (
        SftpSource(sftp_server.config(remote_dir="/manifests", patterns=("test_*",), manifest=True))
        if over == "sftp"
        else FolderSource(folder, ("test_*",), manifest=True)
    )
    one = write(folder / "test_m1.csv", HEADER + GOOD)
    two = write(folder / "test_m2.csv", HEADER + GOOD.replace("1,", "2,", 1))

    def pull() -> list[tuple[str, str]]:
        found = pull_and_ingest(harness.engine, harness.settings, source, harness.feeds)
        return [(r.name, r.status) for r in found]

    assert pull() == []  # no manifest yet: nothing is vouched for
    digest = hashlib.sha256(one.read_bytes()).hexdigest()
    (folder / "test_day.sha256").write_text(f"{digest}  test_m1.csv\n{'0' * 64}  test_m2.csv\n")
    # test_m2's bytes are not the ones the manifest lists (cut short, or changed): left alone.
    assert pull() == [("test_m1.csv", "loaded")]
    (folder / "test_day.sha256").write_text(
        f"{digest}  test_m1.csv\n{hashlib.sha256(two.read_bytes()).hexdigest()} *test_m2.csv\n"
    )
    assert pull() == [("test_m2.csv", "loaded")]
    assert harness.count() == 2
    assert not any(harness.settings.staging_dir.iterdir())
