"""The OpenAPI document against the server: schemathesis sends requests generated from it,
valid and invalid, to every operation and checks each answer against the document.

No operation may answer 5xx, or a status, content type or body the document does not
declare; a request the schema allows must not be refused with 422, and one it forbids must
not be accepted. A few dozen examples per operation keep it quick.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.api.helpers import HAM, SPAM
from tests.conftest import ADMIN_TOKEN

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
EXAMPLES = 25
# A schema-valid request must be taken (2xx), or refused for the state it meets: no or a
# wrong admin token, a missing resource, a conflict. 413 too: the body size limit is in
# bytes, which JSON Schema cannot state (a batch of 1,000 long texts is schema-valid).
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "401", "403", "404", "409", "413", "429"]
            }
        }
    }
)
SPEC = Path(__file__).parents[2] / "docs" / "openapi.json"


OPERATIONS = [
    pytest.param(method.upper(), path, id=f"{method.upper()} {path}")
    for path, operations in json.loads(SPEC.read_text())["paths"].items()
    for method in operations
    if method in ("get", "post", "put", "patch", "delete")
]


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_every_operation_answers_as_its_schema_says(
    app: Any, client: Any, method: str, path: str
) -> None:
    # Some stored predictions, so that reads, feedback and paging find rows.
    for text in (SPAM, HAM, SPAM, HAM):
        assert client.post("/api/v1/classify", json={"text": text}).status_code == 200
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app, config=CONFIG)
    operation = schema[path][method]
    # An uploaded file's contents cannot be described by a schema (format: binary): a
    # file that is not labelled data is refused with 422 naming the file and line.
    excluded = [positive_data_acceptance] if path.endswith(("/train", "/items/file")) else []
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}

    @given(case=operation.as_strategy())
    @hypothesis_settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,  # the same requests on every run: a failure can be replayed
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def check(case: Any) -> None:
        # Every other case with the admin token, so admin operations get past the check.
        case.call_and_validate(
            headers=admin if len(repr(case.body)) % 2 else {}, excluded_checks=excluded
        )

    check()
