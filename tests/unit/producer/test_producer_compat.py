"""`schema check`: verdicts per mode for the classic evolutions, reasons, exit codes, and
every pair of consecutive versions in schemas/."""

from __future__ import annotations

import copy
import itertools
import re
import subprocess
import sys
from io import BytesIO
from pathlib import Path
from typing import Any

import fastavro
import orjson
import pytest

from stream_engine.errors import ConfigError
from stream_engine.serde import SchemaDirectory
from stream_engine.serde.compatibility import check_compatibility, read_schema

SCHEMAS = Path(__file__).parents[3] / "schemas"

V1: dict[str, Any] = {
    "type": "record",
    "name": "Event",
    "namespace": "test",
    "fields": [
        {"name": "id", "type": "string"},
        {"name": "n", "type": "int"},
        {"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["A", "B"]}},
        {"name": "note", "type": ["null", "string"], "default": None},
        {"name": "spare", "type": "string", "default": "-"},
        {"name": "legacy", "type": "string"},
    ],
}
SAMPLE = {"id": "e1", "n": 7, "kind": "B", "note": "hi", "spare": "s", "legacy": "old"}


def _evolve(change: str) -> tuple[dict[str, Any], dict[str, Any]]:
    old, new = copy.deepcopy(V1), copy.deepcopy(V1)
    fields = {f["name"]: f for f in new["fields"]}
    if change == "added with default":
        new["fields"].append({"name": "added", "type": "string", "default": "d"})
    elif change == "added without default":
        new["fields"].append({"name": "added", "type": "string"})
    elif change == "removed, had a default":
        new["fields"].remove(fields["spare"])
    elif change == "removed, had no default":
        new["fields"].remove(fields["legacy"])
    elif change == "int promoted to long":
        fields["n"]["type"] = "long"
    elif change == "enum symbol added":
        fields["kind"]["type"]["symbols"].append("C")
    elif change == "enum symbol added, old enum has a default":
        for schema in (old, new):
            kind = next(f for f in schema["fields"] if f["name"] == "kind")
            kind["type"]["default"] = "A"
        fields["kind"]["type"]["symbols"].append("C")
    elif change == "union widened":
        fields["note"]["type"] = ["null", "string", "long"]
    elif change == "type changed":
        fields["id"]["type"] = "int"
    else:
        raise AssertionError(change)
    return old, new


# change -> (backward, forward, full)
VERDICTS = {
    "added with default": (True, True, True),
    "added without default": (False, True, False),
    "removed, had a default": (True, True, True),
    "removed, had no default": (True, False, False),
    "int promoted to long": (True, False, False),
    "enum symbol added": (True, False, False),
    "enum symbol added, old enum has a default": (True, True, True),
    "union widened": (True, False, False),
    "type changed": (False, False, False),
}

REASONS = {
    ("added without default", "backward"): [
        "test.Event.added: the reader needs this field (it has no default), "
        "the writer's records lack it"
    ],
    ("removed, had no default", "forward"): [
        "test.Event.legacy: the reader needs this field (it has no default), "
        "the writer's records lack it"
    ],
    ("int promoted to long", "forward"): [
        "test.Event.n: reader type: int not compatible with writer type: long"
    ],
    ("enum symbol added", "forward"): [
        "test.Event.kind: the writer's symbols {'C'} are not in the reader's enum test.Kind, "
        "which has no default symbol"
    ],
    ("union widened", "forward"): ["test.Event.note: reader union lacking writer type: LONG"],
    ("type changed", "backward"): [
        "test.Event.id: reader type: int not compatible with writer type: string"
    ],
}


def _write(tmp_path: Path, name: str, schema: dict[str, Any]) -> Path:
    path = tmp_path / f"{name}.avsc"
    path.write_bytes(orjson.dumps(schema))
    return path


@pytest.mark.parametrize("change", list(VERDICTS))
@pytest.mark.parametrize("mode", ["backward", "forward", "full"])
def test_verdicts_per_mode(change: str, mode: str, tmp_path: Path) -> None:
    old, new = _evolve(change)
    verdict = check_compatibility(
        read_schema(_write(tmp_path, "old", old)),
        read_schema(_write(tmp_path, "new", new)),
        mode,  # type: ignore[arg-type]
    )
    expected = VERDICTS[change][("backward", "forward", "full").index(mode)]
    assert verdict.compatible is expected
    if (change, mode) in REASONS:
        [direction] = verdict.directions
        assert direction.problems == REASONS[change, mode]


@pytest.mark.parametrize("change", list(VERDICTS))
def test_a_compatible_direction_really_resolves(change: str) -> None:
    """What the checker allows, fastavro (the pipelines' reader) can do."""
    old, new = _evolve(change)
    for writer, reader, ok in ((old, new, VERDICTS[change][0]), (new, old, VERDICTS[change][1])):
        if not ok:
            continue
        writer_parsed = fastavro.parse_schema(writer)
        datum = {f["name"]: SAMPLE.get(f["name"], "x") for f in writer["fields"]}
        if change == "type changed" and writer is new:
            datum["id"] = 1
        buffer = BytesIO()
        fastavro.schemaless_writer(buffer, writer_parsed, datum)
        buffer.seek(0)
        read = fastavro.schemaless_reader(buffer, writer_parsed, fastavro.parse_schema(reader))
        assert isinstance(read, dict) and read["id"] == datum["id"]


def test_several_problems_each_named_with_its_field(tmp_path: Path) -> None:
    old, new = _evolve("type changed")
    new["fields"].append({"name": "added", "type": "string"})
    new["fields"][1]["type"] = "boolean"
    verdict = check_compatibility(
        read_schema(_write(tmp_path, "old", old)), read_schema(_write(tmp_path, "new", new)), "full"
    )
    backward, forward = verdict.directions
    assert backward.problems == [
        "test.Event.added: the reader needs this field (it has no default), "
        "the writer's records lack it",
        "test.Event.id: reader type: int not compatible with writer type: string",
        "test.Event.n: reader type: boolean not compatible with writer type: int",
    ]
    assert forward.problems == [
        "test.Event.id: reader type: string not compatible with writer type: int",
        "test.Event.n: reader type: int not compatible with writer type: boolean",
    ]


def test_unreadable_schemas_are_config_errors(tmp_path: Path) -> None:
    bad_default = copy.deepcopy(V1)
    bad_default["fields"][1]["default"] = "seven"
    cases = {
        "missing": tmp_path / "missing.avsc",
        "json": _write(tmp_path, "json", {}).with_name("json.avsc"),
        "default": _write(tmp_path, "default", bad_default),
        "type": _write(tmp_path, "type", {"type": "record", "name": "R", "fields": [
            {"name": "a", "type": "strnig"}]}),
    }  # fmt: skip
    cases["json"].write_text("{not json")
    messages = {}
    for name, path in cases.items():
        with pytest.raises(ConfigError) as info:
            read_schema(path)
        messages[name] = str(info.value)
    assert "No such file or directory" in messages["missing"]
    assert "not valid JSON" in messages["json"]
    assert "Default value <seven> must match schema type: int" in messages["default"]
    assert "strnig" in messages["type"]


def _versions() -> list[tuple[Path, Path]]:
    pairs = []
    for folder in sorted(p for p in SCHEMAS.iterdir() if p.is_dir()):
        files = sorted(folder.glob("v*.avsc"), key=lambda p: int(p.stem[1:]))
        assert [int(p.stem[1:]) for p in files] == list(range(1, len(files) + 1)), folder
        pairs += list(itertools.pairwise(files))
    return pairs


def test_schema_folders_hold_numbered_versions() -> None:
    _versions()
    assert any(old.parent.name == "page_view" for old, _ in _versions())


@pytest.mark.parametrize("old,new", _versions(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_consecutive_versions_are_fully_compatible(old: Path, new: Path) -> None:
    """Workers on either version read each other's records: full compatibility."""
    verdict = check_compatibility(read_schema(old), read_schema(new), "full")
    assert verdict.compatible, [d.problems for d in verdict.directions]


def test_registry_lists_every_schema_once() -> None:
    directory = SchemaDirectory.load(SCHEMAS)
    listed = sorted(str(s.path.relative_to(SCHEMAS)) for s in directory.schemas.values())
    on_disk = sorted(str(p.relative_to(SCHEMAS)) for p in SCHEMAS.glob("*/v*.avsc"))
    assert listed == on_disk


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stream_engine", "schema", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_cli_exit_codes_and_report(tmp_path: Path) -> None:
    old, new = _evolve("int promoted to long")
    old_path, new_path = _write(tmp_path, "old", old), _write(tmp_path, "new", new)
    ok = _cli("check", str(old_path), str(new_path), "--mode", "backward")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.splitlines() == [
        f"compatible (backward): {new_path} replacing {old_path}",
        f"  ok: {new_path} reads data written with {old_path}",
    ]
    bad = _cli("check", str(old_path), str(new_path), "--mode", "full")
    assert bad.returncode == 1
    assert bad.stdout.splitlines() == [
        f"incompatible (full): {new_path} replacing {old_path}",
        f"  ok: {new_path} reads data written with {old_path}",
        f"  {old_path} cannot read data written with {new_path}:",
        "    - test.Event.n: reader type: int not compatible with writer type: long",
    ]
    missing = _cli("check", str(tmp_path / "nope.avsc"), str(new_path))
    assert missing.returncode == 2
    assert re.fullmatch(
        r"error: cannot read Avro schema .*nope.avsc: No such file.*\n", missing.stderr
    )
    mode = _cli("check", str(old_path), str(new_path), "--mode", "sideways")
    assert (mode.returncode, mode.stderr) == (
        2,
        "error: unknown mode 'sideways': expected one of backward, forward, full\n",
    )


def test_cli_model_and_from_model(tmp_path: Path) -> None:
    source = _cli("model", str(SCHEMAS / "page_view/v2.avsc"))
    assert source.returncode == 0, source.stderr
    assert "class PageView(BaseModel):" in source.stdout
    (tmp_path / "pv_models.py").write_text(source.stdout)
    back = subprocess.run(
        [sys.executable, "-m", "stream_engine", "schema", "from-model", "pv_models:PageView"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert back.returncode == 0, back.stderr
    assert orjson.loads(back.stdout) == orjson.loads((SCHEMAS / "page_view/v2.avsc").read_bytes())
    nope = _cli("from-model", "pv_models:Nope")
    assert nope.returncode == 2
    assert nope.stderr.startswith("error: cannot import pv_models: ModuleNotFoundError")
