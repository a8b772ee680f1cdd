"""Validation of REST requests against Twilio's own OpenAPI description of API 2010-04-01.

The description is ``twilio_api_v2010.json`` from Twilio's public ``twilio-oai`` repository
(release 2.6.7, MIT licence, vendored beside this module; ``SAMPARK_TWILIO_OPENAPI`` points
elsewhere). Two validators read it:

* :class:`TwilioSpec` (the default) compiles, once per process, one JSON-Schema validator
  per served operation straight from the file's parameter and request-body schemas
  (``openapi-schema-validator``, the OAS 3.0 validator that openapi-core itself uses).
  It costs well under a millisecond a request.
* :class:`OpenApiCoreValidator` runs the whole description through ``openapi-core``
  (about 2 s to load, 15–30 ms a request on this machine). Tests check that both agree;
  ``SAMPARK_STANDIN_VALIDATOR=openapi-core`` makes the stand-in use it.

Both read repeated form keys as arrays (twilio-python sends ``StatusCallbackEvent`` that
way), check ``format: uri`` (the file's schemas only name the format), and add what the
file leaves to prose (see ``../shared/twilio/README.md``): the value lists that live only in
descriptions, and the either/or rules (Url/Twiml/ApplicationSid; Body/MediaUrl/ContentSid;
From/MessagingServiceSid). Failures become Twilio's own error codes (:mod:`.twilio_codes`).
"""

from __future__ import annotations

import copy
import functools
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import FormatChecker
from openapi_schema_validator import OAS30Validator

from telephony.standin.errors import TwilioApiError
from telephony.standin.twilio_codes import Problem, check_either_or, error_for, not_found

SPEC_ENV = "SAMPARK_TWILIO_OPENAPI"
VALIDATOR_ENV = "SAMPARK_STANDIN_VALIDATOR"
VENDORED_SPEC = Path(__file__).with_name("twilio_api_v2010.json")
ACCOUNT_PATH = "/2010-04-01/Accounts/{AccountSid}"

#: The resources the stand-in serves: path suffix -> resource name used in fault keys.
SERVED_PATHS: dict[str, str] = {
    "/Calls.json": "calls",
    "/Calls/{Sid}.json": "calls",
    "/Conferences.json": "conferences",
    "/Conferences/{Sid}.json": "conferences",
    "/Conferences/{ConferenceSid}/Participants.json": "participants",
    "/Conferences/{ConferenceSid}/Participants/{CallSid}.json": "participants",
    "/Messages.json": "messages",
    "/Messages/{Sid}.json": "messages",
    "/Recordings.json": "recordings",
    "/Recordings/{Sid}.json": "recordings",
    "/IncomingPhoneNumbers.json": "incoming_phone_numbers",
    "/IncomingPhoneNumbers/{Sid}.json": "incoming_phone_numbers",
}

#: Value lists Twilio documents only in the parameter descriptions (twilio-oai 2.6.7 has
#: free strings there). Sources: docs for Calls, Conference Participants and <Conference>.
DESCRIPTION_ENUMS: dict[str, tuple[str, ...]] = {
    "StatusCallbackEvent": ("initiated", "ringing", "answered", "completed"),
    "ConferenceStatusCallbackEvent": (
        "start", "end", "join", "leave", "mute", "hold", "modify", "speaker", "announcement",
    ),
    "Beep": ("true", "false", "onEnter", "onExit"),
    "RecordingStatusCallbackEvent": ("in-progress", "completed", "absent"),
    "ConferenceRecordingStatusCallbackEvent": ("in-progress", "completed", "absent"),
}  # fmt: skip

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_CHANNEL = re.compile(r"^[a-z]+:\+[1-9]\d{6,14}$")  # e.g. whatsapp:+91...
_SENDER_ID = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$")  # alphanumeric sender (India DLT)
_SHORT_CODE = re.compile(r"^\d{3,8}$")


def is_http_url(value: object) -> bool:
    """An absolute http(s) URL with a host, as Twilio requires of every URL parameter."""
    if not isinstance(value, str):
        return True
    if any(ch.isspace() for ch in value):
        return False
    scheme, _, rest = value.partition("://")
    host = rest.split("/", 1)[0].split("?", 1)[0].rsplit("@", 1)[-1]
    return scheme.lower() in ("http", "https") and bool(host) and not host.startswith(":")


def is_phone_number(value: object) -> bool:
    """Messaging addresses: E.164, channel-prefixed E.164, short code or sender ID."""
    if not isinstance(value, str):
        return True
    return bool(
        _E164.match(value)
        or _CHANNEL.match(value)
        or _SHORT_CODE.match(value)
        or _SENDER_ID.match(value)
    )


def is_endpoint(value: object) -> bool:
    """Voice endpoints: an E.164 number, or a ``client:`` / ``sip:`` address."""
    if not isinstance(value, str):
        return True
    return bool(_E164.match(value)) or value.startswith(("client:", "sip:"))


FORMAT_FUNCTIONS = {"uri": is_http_url, "phone-number": is_phone_number, "endpoint": is_endpoint}


def _format_checker() -> FormatChecker:
    checker = FormatChecker(formats=())
    for name, func in FORMAT_FUNCTIONS.items():
        checker.checks(name)(func)
    return checker


def spec_path() -> Path:
    """The description in use: ``$SAMPARK_TWILIO_OPENAPI`` or the vendored copy."""
    return Path(os.environ.get(SPEC_ENV) or VENDORED_SPEC)


@functools.lru_cache(maxsize=4)
def load_spec(path: str | None = None) -> dict[str, Any]:
    """The description as a dict, restricted to the served paths, with the prose enums added.

    Cached per path: every validator in the process shares one copy (do not mutate it).
    """
    with open(path or spec_path(), encoding="utf-8") as fh:
        spec = json.load(fh)
    paths = {ACCOUNT_PATH + s: spec["paths"][ACCOUNT_PATH + s] for s in SERVED_PATHS}
    spec["paths"] = paths
    for item in paths.values():
        for method in ("get", "post", "delete"):
            body = item.get(method, {}).get("requestBody", {}).get("content", {})
            form = body.get("application/x-www-form-urlencoded", {}).get("schema", {})
            for name, prop in form.get("properties", {}).items():
                values = DESCRIPTION_ENUMS.get(name)
                if values is None:
                    continue
                target = prop["items"] if prop.get("type") == "array" else prop
                target["enum"] = list(values)
    return spec


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


class OpenApiCoreValidator:
    """The same checks run by openapi-core over the description (slow: for checks and audits)."""

    def __init__(self, path: str | None = None) -> None:
        from openapi_core import OpenAPI
        from openapi_core.configurations import Config

        spec = copy.deepcopy(load_spec(path or str(spec_path())))
        config = Config(extra_format_validators=dict(FORMAT_FUNCTIONS))
        self.api = OpenAPI.from_dict(spec, config=config)

    def problems(self, werkzeug_request: Any, operation_id: str) -> list[Problem]:
        """Problems openapi-core finds in a werkzeug request, plus the either/or rules.

        The request is replayed as addressed to the description's server (api.twilio.com),
        since openapi-core matches the host as well as the path.
        """
        from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest
        from werkzeug.test import EnvironBuilder
        from werkzeug.wrappers import Request

        replay = EnvironBuilder(
            method=werkzeug_request.method,
            base_url="https://api.twilio.com",
            path=werkzeug_request.path,
            query_string=werkzeug_request.query_string,
            data=werkzeug_request.get_data(),
            headers={k: v for k, v in werkzeug_request.headers.items() if k.lower() != "host"},
        ).get_environ()
        result = self.api.unmarshal_request(WerkzeugOpenAPIRequest(Request(replay)))
        problems: list[Problem] = []
        for error in result.errors:
            cause = error.__cause__
            for schema_error in getattr(cause, "schema_errors", None) or ():
                if schema_error.validator == "required":
                    names = re.findall(r"'([^']+)'", schema_error.message)[:1] or [""]
                    problems.append(Problem(names[0], "missing", None))
                else:
                    name = str(schema_error.path[0]) if schema_error.path else ""
                    problems.append(Problem(name, str(schema_error.validator), None))
            if not problems:
                problems.append(Problem(_named_field(str(cause or error)), "type", None))
        body = result.body if isinstance(result.body, dict) else {}
        return problems + check_either_or(operation_id, body)


def _named_field(message: str) -> str:
    names = re.findall(r"'([A-Z][A-Za-z<>]*)'", message)
    return names[0] if names else ""


@functools.lru_cache(maxsize=1)
def openapi_core_validator() -> OpenApiCoreValidator:
    """The process-wide openapi-core validator (built on first use, about 2 s)."""
    return OpenApiCoreValidator()


__all__ = [
    "DESCRIPTION_ENUMS",
    "OpenApiCoreValidator",
    "Operation",
    "TwilioApiError",
    "TwilioSpec",
    "ValidatedRequest",
    "compiled",
    "load_spec",
    "openapi_core_validator",
    "spec_path",
]
