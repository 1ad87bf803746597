"""Turn pydantic's validation errors into issues worded for the pipeline file's author.

Pydantic's messages name Python types and link to its docs; a data engineer needs the
YAML key, what it accepts and what was written. The model at each error location is
found by walking the type annotations, which also gives the allowed keys and choices.
"""

from __future__ import annotations

import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, Tag, ValidationError
from pydantic_core import ErrorDetails

from stream_engine.spec.base import SpecModel
from stream_engine.spec.errors import (
    ISSUES_ERROR_TYPE,
    SPEC_ERROR_TYPE,
    Issue,
    Loc,
    describe_value,
    unknown_key_message,
)
from stream_engine.spec.steps import STEP_KIND_ERROR_TYPE, step_kind_problem

_TYPE_NAMES = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "list_type": "a list",
    "path_type": "a path",
}


def translate_errors(exc: ValidationError, root: type[BaseModel]) -> list[Issue]:
    """One issue per problem pydantic found while validating ``root``."""
    issues: list[Issue] = []
    for error in exc.errors(include_url=False):
        loc = _public_loc(root, error["loc"])
        issues.extend(_translate(error, loc, root))
    return issues


def _translate(error: ErrorDetails, loc: Loc, root: type[BaseModel]) -> list[Issue]:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    value = error["input"]
    if kind == ISSUES_ERROR_TYPE:
        return [Issue(loc + tuple(rel), message) for rel, message in ctx["issues"]]
    if kind == SPEC_ERROR_TYPE:
        return [Issue(loc, str(ctx["message"]))]
    if kind == STEP_KIND_ERROR_TYPE:
        return [Issue(loc, step_kind_problem(value))]
    if kind == "missing":
        return [Issue(loc, "field required")]
    if kind == "extra_forbidden":
        return [Issue(loc, _unknown_key(root, tuple(error["loc"])))]  # raw: keeps union tags
    if kind == "literal_error":
        raw = tuple(error["loc"])  # keeps union tags, which lead to the member's annotation
        choices = _literal_choices(_annotation_at(root, raw)) or [str(ctx.get("expected", ""))]
        return [Issue(loc, f"expected one of {', '.join(choices)}, got {describe_value(value)}")]
    if kind in ("greater_than_equal", "greater_than"):
        bound = ctx.get("ge", ctx.get("gt"))
        relation = "at least" if kind == "greater_than_equal" else "more than"
        return [Issue(loc, f"expected {relation} {bound}, got {describe_value(value)}")]
    if kind in ("less_than_equal", "less_than"):
        bound = ctx.get("le", ctx.get("lt"))
        relation = "at most" if kind == "less_than_equal" else "less than"
        return [Issue(loc, f"expected {relation} {bound}, got {describe_value(value)}")]
    if kind in _TYPE_NAMES:
        hint = ""
        if kind == "string_type" and isinstance(value, int | float | bool):
            hint = " (put it in quotes to use it as text)"
        return [Issue(loc, f"expected {_TYPE_NAMES[kind]}, got {describe_value(value)}{hint}")]
    if kind in ("value_error", "assertion_error") and "error" in ctx:
        return [Issue(loc, str(ctx["error"]))]
    return [Issue(loc, error["msg"])]


def _unknown_key(root: type[BaseModel], loc: Loc) -> str:
    model = _model_at(root, loc[:-1])
    if model is None:
        return "unknown key"
    key = str(loc[-1])
    if key in model.not_yet_supported:
        return model.not_yet_supported[key]
    return unknown_key_message(key, model.yaml_keys())


def _public_loc(root: type[BaseModel], loc: tuple[int | str, ...]) -> Loc:
    """Use the YAML key of each field (pydantic sometimes reports the Python name)."""
    out: list[int | str] = []
    current: Any = root
    for part in loc:
        if part == "[key]":  # an invalid mapping key: the message names it, the path ends there
            break
        if isinstance(part, str) and part.startswith("<"):  # a union tag, not a YAML key
            current = _child(current, part) if current is not None else None
            continue
        model = _as_model(current)
        if model is not None and isinstance(part, str) and part in model.model_fields:
            part = model.model_fields[part].alias or part
        out.append(part)
        current = _child(current, part) if current is not None else None
    return tuple(out)


def _model_at(root: type[BaseModel], loc: Loc) -> type[SpecModel] | None:
    model = _as_model(_annotation_at(root, loc))
    return model if model is not None and issubclass(model, SpecModel) else None


def _annotation_at(root: type[BaseModel], loc: Loc) -> Any:
    current: Any = root
    for part in loc:
        current = _child(current, part)
        if current is None:
            return None
    return current


def _child(annotation: Any, part: int | str) -> Any:
    """The annotation of ``part`` inside a value annotated ``annotation`` (None: unknown)."""
    tp = _strip(annotation)
    model = _as_model(tp)
    if model is not None:
        for name, field in model.model_fields.items():
            if part in (name, field.alias):
                return field.annotation
        return None
    origin, args = get_origin(tp), get_args(tp)
    if origin is list and isinstance(part, int):
        return args[0]
    if origin is dict and isinstance(part, str):
        return args[1]
    if origin in (Union, types.UnionType):
        for member in args:
            if get_origin(member) is Annotated and any(
                isinstance(meta, Tag) and meta.tag == part for meta in member.__metadata__
            ):
                return get_args(member)[0]
    return None


def _strip(annotation: Any) -> Any:
    """Remove Annotated metadata and an Optional's None."""
    while True:
        if get_origin(annotation) is Annotated:
            annotation = get_args(annotation)[0]
            continue
        if get_origin(annotation) in (Union, types.UnionType):
            members = [a for a in get_args(annotation) if a is not type(None)]
            if len(members) == 1:
                annotation = members[0]
                continue
        return annotation


def _as_model(annotation: Any) -> type[BaseModel] | None:
    tp = _strip(annotation)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return tp
    return None


def _literal_choices(annotation: Any) -> list[str]:
    tp = _strip(annotation)
    if get_origin(tp) is Literal:
        return [str(choice) for choice in get_args(tp)]
    return []
