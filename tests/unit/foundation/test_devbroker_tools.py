from pathlib import Path

import pytest

from stream_engine.devbroker import LocalBroker
from stream_engine.devbroker import jars as jars_mod
from stream_engine.errors import ToolMissingError


def test_missing_java_names_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ToolMissingError, match=r"^`java` not found on PATH: install Java 17"):
        LocalBroker(tmp_path / "home").start()


def test_missing_maven_names_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("STREAM_ENGINE_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(ToolMissingError, match=r"^`mvn` not found on PATH: install Maven"):
        jars_mod.ensure_jars()


def test_status_of_a_home_without_broker_is_none(tmp_path: Path) -> None:
    broker = LocalBroker(tmp_path)
    assert broker.status() is None
    assert broker.stop() is False
    (tmp_path / "broker.json").write_text("{not json")
    assert broker.status() is None
    assert not (tmp_path / "broker.json").exists()


def test_cache_dir_follows_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("STREAM_ENGINE_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert jars_mod.jars_dir() == tmp_path / "stream-engine" / "kafka-3.9.1" / "libs"
