"""Validation of REST requests against Twilio's own OpenAPI description of API 2010-04-01.

The description is ``twilio_api_v2010.json`` from Twilio's public ``twilio-oai`` repository
(release 2.6.7, MIT licence, vendored beside this module; ``SAMPARK_TWILIO_OPENAPI`` points
elsewhere); :mod:`.openapi_spec` loads it. Two validators read it:

* :class:`TwilioSpec` (the default, here) compiles, once per process, one JSON-Schema
  validator per served operation straight from the file's parameter and request-body
  schemas (``openapi-schema-validator``, the OAS 3.0 validator that openapi-core itself
  uses). It costs well under a millisecond a request.
* :class:`OpenApiCoreValidator` (:mod:`.openapi_core_check`) runs the whole description
  through ``openapi-core`` (about 2 s to load, 15–30 ms a request on this machine). Tests
  check that both agree; ``SAMPARK_STANDIN_VALIDATOR=openapi-core`` makes the stand-in use it.

Both read repeated form keys as arrays (twilio-python sends ``StatusCallbackEvent`` that
way), check ``format: uri`` (the file's schemas only name the format), and add what the
file leaves to prose (see ``../shared/twilio/README.md``): the value lists that live only in
descriptions, and the either/or rules (Url/Twiml/ApplicationSid; Body/MediaUrl/ContentSid;
From/MessagingServiceSid). Failures become Twilio's own error codes (:mod:`.twilio_codes`).
This module re-exports the names of the other two, so ``standin.openapi`` stays
the one import path.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jsonschema import FormatChecker
from openapi_schema_validator import OAS30Validator

from standin.errors import TwilioApiError
from standin.openapi_core_check import OpenApiCoreValidator, openapi_core_validator
from standin.openapi_spec import (
    ACCOUNT_PATH,
    DESCRIPTION_ENUMS,
    FORMAT_FUNCTIONS,
    SERVED_PATHS,
    SPEC_ENV,
    VENDORED_SPEC,
    is_endpoint,
    is_http_url,
    is_phone_number,
    load_spec,
    spec_path,
)
from standin.twilio_codes import Problem, check_either_or, error_for, not_found

VALIDATOR_ENV = "SAMPARK_STANDIN_VALIDATOR"


def _format_checker() -> FormatChecker:
    checker = FormatChecker(formats=())
    for name, func in FORMAT_FUNCTIONS.items():
        checker.checks(name)(func)
    return checker


# --------------------------------------------------------------------------------------
# The compiled validator


@dataclass(frozen=True)
class _FormSchema:
    """One object schema (path, query or body) and how to cast its form strings."""

    kinds: dict[str, str]  # name -> string|integer|boolean|number|array
    item_kinds: dict[str, str]  # array name -> item kind
    required: tuple[str, ...]
    validator: Any

    def problems(self, raw: Mapping[str, Sequence[str]]) -> tuple[dict[str, Any], list[Problem]]:
        """Cast the form strings and validate them; unknown keys are ignored, as by Twilio."""
        values: dict[str, Any] = {}
        problems: list[Problem] = []
        for name, given in raw.items():
            kind = self.kinds.get(name)
            if kind is None or not given:
                continue
            if kind == "array":
                item_kind = self.item_kinds[name]
                cast = [_cast(item_kind, v) for v in given]
                if any(c is _BAD for c in cast):
                    problems.append(Problem(name, "type", list(given)))
                    continue
                values[name] = cast
            else:
                one = _cast(kind, given[0])
                if one is _BAD:
                    problems.append(Problem(name, "type", given[0]))
                    continue
                values[name] = one
        problems += [Problem(name, "missing", None) for name in self.required if name not in raw]
        for err in self.validator.iter_errors(values):
            if err.validator == "required":
                continue
            field = str(err.path[0]) if err.path else ""
            problems.append(Problem(field, str(err.validator), values.get(field)))
        return values, problems


class _Bad:
    pass


_BAD = _Bad()


def _cast(kind: str, text: str) -> Any:
    if kind == "integer":
        return int(text) if re.fullmatch(r"-?\d+", text.strip()) else _BAD
    if kind == "number":
        try:
            return float(text)
        except ValueError:
            return _BAD
    if kind == "boolean":
        lowered = text.strip().lower()
        return {"true": True, "false": False}.get(lowered, _BAD)
    return text


def _resolve(node: Any, components: Mapping[str, Any]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            return _resolve(components[ref.rsplit("/", 1)[1]], components)
        return {k: _resolve(v, components) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve(v, components) for v in node]
    return node


def _strip_ignored_formats(schema: dict[str, Any]) -> dict[str, Any]:
    if schema.get("x-twilio", {}).get("ignoreFormat"):
        schema = {k: v for k, v in schema.items() if k != "format"}
    if isinstance(schema.get("items"), dict):
        schema["items"] = _strip_ignored_formats(dict(schema["items"]))
    return schema


def _form_schema(props: Mapping[str, Any], required: Sequence[str]) -> _FormSchema:
    props = {k: _strip_ignored_formats(dict(v)) for k, v in props.items()}
    kinds = {k: str(v.get("type", "string")) for k, v in props.items()}
    item_kinds = {
        k: str(v.get("items", {}).get("type", "string"))
        for k, v in props.items()
        if kinds[k] == "array"
    }
    schema = {"type": "object", "properties": props}
    return _FormSchema(
        kinds, item_kinds, tuple(required), OAS30Validator(schema, format_checker=_format_checker())
    )


@dataclass(frozen=True)
class Operation:
    """One served operation of the description."""

    operation_id: str
    method: str
    template: str
    resource: str
    regex: re.Pattern[str]
    path: _FormSchema
    query: _FormSchema
    body: _FormSchema | None

    @property
    def action(self) -> str:
        """``create``, ``list``, ``fetch``, ``update`` or ``delete`` (from the operationId)."""
        return re.findall(r"^[A-Z][a-z]+", self.operation_id)[0].lower()

    @property
    def key(self) -> str:
        """The fault-injection key, e.g. ``calls.create``."""
        return f"{self.resource}.{self.action}"


@dataclass(frozen=True)
class ValidatedRequest:
    """A request that passed validation: its operation and typed parameters."""

    operation: Operation
    path: dict[str, str]
    query: dict[str, Any]
    params: dict[str, Any]


class TwilioSpec:
    """The compiled validator over the served operations (build once: see :func:`compiled`)."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        components = spec.get("components", {}).get("schemas", {})
        self.operations: list[Operation] = []
        for suffix, resource in SERVED_PATHS.items():
            template = ACCOUNT_PATH + suffix
            item = spec["paths"][template]
            pattern = re.escape(template).replace(r"\{", "{").replace(r"\}", "}")
            regex = re.compile("^" + re.sub(r"{(\w+)}", r"(?P<\1>[^/]+)", pattern) + "$")
            for method in ("get", "post", "delete"):
                if method not in item:
                    continue
                op = item[method]
                params = _resolve(item.get("parameters", []) + op.get("parameters", []), components)
                by_place: dict[str, dict[str, Any]] = {"path": {}, "query": {}}
                for p in params:
                    by_place.setdefault(p["in"], {})[p["name"]] = p["schema"]
                form = (
                    op.get("requestBody", {})
                    .get("content", {})
                    .get("application/x-www-form-urlencoded", {})
                    .get("schema")
                )
                body = None
                if form is not None:
                    form = _resolve(form, components)
                    body = _form_schema(form.get("properties", {}), form.get("required", []))
                self.operations.append(
                    Operation(
                        operation_id=op["operationId"],
                        method=method.upper(),
                        template=template,
                        resource=resource,
                        regex=regex,
                        path=_form_schema(by_place["path"], list(by_place["path"])),
                        query=_form_schema(by_place["query"], ()),
                        body=body,
                    )
                )

    def match(self, method: str, path: str) -> tuple[Operation | None, dict[str, str], bool]:
        """The operation for ``method path``, its path parameters, and whether the path exists."""
        found_path = False
        for op in self.operations:
            m = op.regex.match(path)
            if m is None:
                continue
            found_path = True
            if op.method == method.upper():
                return op, m.groupdict(), True
        return None, {}, found_path

    def validate(
        self,
        op: Operation,
        path_params: Mapping[str, str],
        query: Mapping[str, Sequence[str]],
        form: Mapping[str, Sequence[str]],
        url_path: str,
    ) -> ValidatedRequest:
        """Validate one request of ``op``.

        Raises:
            TwilioApiError: 404 (code 20404) for a malformed SID in the path, or 400 with
                Twilio's code for the first problem in the query or form.
        """
        path_values, path_problems = op.path.problems({k: [v] for k, v in path_params.items()})
        if path_problems:
            raise not_found(url_path)
        query_values, query_problems = op.query.problems(query)
        if query_problems:
            raise error_for(op.operation_id, query_problems)
        params: dict[str, Any] = {}
        if op.body is not None:
            params, problems = op.body.problems(form)
            problems += check_either_or(op.operation_id, params)
            if problems:
                raise error_for(op.operation_id, problems)
        return ValidatedRequest(op, dict(path_values), query_values, params)


@functools.lru_cache(maxsize=4)
def compiled(path: str | None = None) -> TwilioSpec:
    """The process-wide compiled validator for the description at ``path`` (default in use)."""
    return TwilioSpec(load_spec(path or str(spec_path())))


__all__ = [
    "ACCOUNT_PATH",
    "DESCRIPTION_ENUMS",
    "FORMAT_FUNCTIONS",
    "SERVED_PATHS",
    "SPEC_ENV",
    "VALIDATOR_ENV",
    "VENDORED_SPEC",
    "OpenApiCoreValidator",
    "Operation",
    "TwilioApiError",
    "TwilioSpec",
    "ValidatedRequest",
    "compiled",
    "is_endpoint",
    "is_http_url",
    "is_phone_number",
    "load_spec",
    "openapi_core_validator",
    "spec_path",
]
