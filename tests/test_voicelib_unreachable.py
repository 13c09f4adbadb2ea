"""A host that never answers (a black-holed network, a dead proxy: the connect hangs, nothing refuses it): the
connect is given up after download.CONNECT_TIMEOUT while reads keep download.TIMEOUT, the DownloadError says the
host is unreachable, and a cast tries such a host once, passing over its other voices at once.

The black hole is a listening socket on 127.0.0.1 that never accepts, its queue filled by one connection: the
kernel then drops every further connect's SYN, so the connect waits, as one to a black-holed address does.
Connect attempts are counted (socket.create_connection, which http.client connects with), never timed."""
from __future__ import annotations

import socket

import pytest
from cli_tools import run_out, write_story
from test_autocast import voices_of
from voicelib_server import HIBARI_EMMA

from narrate import voicelib
from narrate.casting.measure import Measurement, Measurer
from narrate.voicelib import download

pytest_plugins = ("voicelib_fixtures",)

STORY = """The Lighthouse

"The lamp is out," said Ines. She climbed the last of the stairs.

"Then light it," said Paul. He handed her the matches.

"You light it," Ines said. "Your hands are steadier."

Paul struck a match. "There," he said. "Now the ships will see us."
"""


@pytest.fixture
def black_hole():
    """host:port of a listener whose connects hang."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    filler = socket.create_connection(listener.getsockname(), timeout=5)  # fills the accept queue (length 1)
    host, port = listener.getsockname()
    yield f"{host}:{port}"
    filler.close()
    listener.close()


@pytest.fixture
def connects(monkeypatch):
    """Every connect http.client makes: (address, timeout, socket or None when it failed)."""
    made = []
    real = socket.create_connection

    def counted(address, timeout=None, *args, **kwargs):
        try:
            sock = real(address, timeout, *args, **kwargs)
        except OSError:
            made.append((address, timeout, None))
            raise
        made.append((address, timeout, sock))
        return sock

    monkeypatch.setattr(socket, "create_connection", counted)
    return made


def test_a_connect_that_hangs_is_given_up_after_the_connect_timeout_and_reads_keep_theirs(
        black_hole, connects, stand_in, tmp_path, monkeypatch):
    monkeypatch.setattr(download, "CONNECT_TIMEOUT", 0.2)
    url = f"http://{black_hole}/voices/bf_emma.int8.onnx"
    with pytest.raises(voicelib.DownloadError) as raised:
        download.fetch(url, tmp_path / "emma.onnx", what="hibari:emma")
    assert raised.value.unreachable and raised.value.host == black_hole
    assert f"hibari:emma: cannot download {url} ({black_hole} cannot be reached: " in str(raised.value)
    assert [timeout for _, timeout, _ in connects] == [0.2]  # not the read timeout (60 s): one try, no resume
    assert not (tmp_path / "emma.onnx").exists() and not (tmp_path / "emma.onnx.part").exists()

    connects.clear()  # a host that answers: the connect's timeout, then the read timeout on the socket
    fetched = download.fetch(stand_in.url + HIBARI_EMMA, tmp_path / "heart.onnx")
    assert fetched.downloaded and fetched.path.stat().st_size > 0
    (_, timeout, sock), = connects
    assert timeout == 0.2 and sock.gettimeout() == download.TIMEOUT

    with pytest.raises(voicelib.DownloadError) as missing:  # an answer, if a 404, is no unreachable host
        download.fetch(stand_in.url + "/nothing/here.onnx", tmp_path / "none.onnx")
    assert not missing.value.unreachable and "answered 404" in str(missing.value)


def test_within_one_try_per_host_an_unreachable_host_is_tried_once_and_others_still_are(
        black_hole, connects, stand_in, tmp_path, monkeypatch):
    monkeypatch.setattr(download, "CONNECT_TIMEOUT", 0.2)
    with download.one_try_per_host() as given_up:
        for name in ("a", "b", "c"):
            with pytest.raises(voicelib.DownloadError) as raised:
                download.fetch(f"http://{black_hole}/{name}.onnx", tmp_path / f"{name}.onnx", what=f"piper:{name}")
            assert raised.value.unreachable and f"{black_hole} cannot be reached: " in str(raised.value)
        assert "not tried again" in str(raised.value) and list(given_up) == [black_hole]
        assert download.fetch(stand_in.url + HIBARI_EMMA, tmp_path / "heart.onnx").downloaded
    host, port = black_hole.split(":")
    assert [address for address, _, _ in connects] == [(host, int(port)), ("127.0.0.1", int(stand_in.url.split(":")[-1]))]
    with pytest.raises(voicelib.DownloadError):  # outside the block the host is tried again
        download.fetch(f"http://{black_hole}/a.onnx", tmp_path / "a.onnx")
    assert len(connects) == 3


def test_a_cast_tries_a_host_that_never_answers_once_and_casts_from_the_voices_here(
        black_hole, connects, tmp_path, capsys, monkeypatch):
    """piper's catalogue voices are all on the (black-holed) hub; joe, bundled, is here. The voices are fetched
    for real (voicelib.ensure, as the engine does when it loads one); their measurements are made up (joe's pitch
    moved by each variant's shift), since the real ones are test_autocast_library.py's."""
    pytest.importorskip("piper")
    monkeypatch.setattr(download, "CONNECT_TIMEOUT", 0.2)
    monkeypatch.setenv("HF_ENDPOINT", f"http://{black_hole}")
    monkeypatch.setenv("NARRATE_VOICES_DIR", str(tmp_path / "voices"))
    tried = []

    def measure(self, voice, with_recall=False):
        name = voicelib.split_speaker(voice.voice)[0]
        if voicelib.entry(voice.engine, name) is not None:  # a library voice (joe, bundled, is none)
            tried.append(name)
            voicelib.ensure(voice.engine, name)  # raises: the hub cannot be reached
        return Measurement(pitch=48.0 + 0.9 * voice.semitones, timbre=(), recall=0.9 - 0.01 * abs(voice.semitones))

    monkeypatch.setattr(Measurer, "measure", measure)
    story = write_story(tmp_path, STORY)
    target = tmp_path / "voices.yaml"
    code, out, err = run_out(capsys, "cast", story, "--voices", target, "--write", "--engine", "piper")
    assert code == 0, err
    assert {v.voice for v in voices_of(target).values()} == {"joe"}  # all cast from the voice here
    assert len(set(tried)) > 3  # several voices not here were wanted...
    assert len(connects) == 1  # ...and the hub was tried once
    flat = " ".join(out.split())
    assert "voices could not be fetched and were passed over" in flat
    assert f"{black_hole} cannot be reached: " in flat
