"""The reference validator: Twilio's whole OpenAPI description run through ``openapi-core``.

About 2 s to load and 15-30 ms a request on this machine, so the stand-in uses the
compiled validator (``openapi.py``) unless ``SAMPARK_STANDIN_VALIDATOR=openapi-core``;
tests check that the two agree. The formats and the either/or rules are the same ones
(``openapi_spec.FORMAT_FUNCTIONS``, ``twilio_codes.check_either_or``).
"""

from __future__ import annotations

import copy
import functools
import re
from typing import Any

from standin.openapi_spec import FORMAT_FUNCTIONS, load_spec, spec_path
from standin.twilio_codes import Problem, check_either_or


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
