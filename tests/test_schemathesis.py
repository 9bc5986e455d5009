"""schemathesis against the API's own OpenAPI document (issue 11), on both databases: every operation gets
generated requests (bounded: ``GRIDMAP_SCHEMATHESIS_EXAMPLES`` per operation, 10 by default so `make test` stays
short — 100 for a deeper run; both requests that fit the document and requests that break it) sent with the API
token of an account whose role may use it, and every answer must be no 5xx and conform to the document.

The seed is ``GRIDMAP_SCHEMATHESIS_SEED`` or a random one, printed (also when the run passes) so a failure can be
replayed: ``GRIDMAP_SCHEMATHESIS_SEED=<seed> pytest tests/test_schemathesis.py``.
"""

from __future__ import annotations

import os
import random
import time
from collections import Counter

import schemathesis
from hypothesis import HealthCheck, Phase, given, seed
from hypothesis import settings as hypothesis_settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from sqlalchemy.orm import Session

from gridmap.cases import open_report
from gridmap.config import Settings
from gridmap.store.engine import session_scope
from gridmap.web import create_app
from gridmap.web.state import app_state
from tests.accounts import TESTER, make_account
from tests.case_helpers import COMPOUND_POINT, LAT, PNG, build_city, case_settings

EXAMPLES = int(os.environ.get("GRIDMAP_SCHEMATHESIS_EXAMPLES") or 10)
SEED = int(os.environ.get("GRIDMAP_SCHEMATHESIS_SEED") or random.randrange(2**32))
# Which account calls an operation: the first of these its x-roles allow (a commander can do most; the admin the
# catalogue), so each operation is exercised by a role that may use it, not stopped at 403.
PREFERRED = ("commander", "admin", "dispatcher", "grid_worker", "inspector", "unit_clerk", "viewer")
CHECKS = [not_a_server_error, response_schema_conformance]


def _seed_cases(app) -> None:
    """Two cases (one with a photo) so that ids in generated requests sometimes find something."""
    settings = app_state(app).settings
    with session_scope(app_state(app).session_factory) as s:
        for lon, lat, photos in ((111.14, LAT, [("a.png", PNG)]), (*COMPOUND_POINT, None)):
            report = {"lon": lon, "lat": lat, "category": "0102", "description": "路边暴露垃圾"}
            open_report(s, report, settings, actor=TESTER, photos=photos)


def _exercise(
    operation: schemathesis.APIOperation,
    label: str,
    headers: dict[str, str],
    sent: Counter[str],
    statuses: Counter[int],
    failures: list[str],
) -> None:
    """Up to EXAMPLES generated requests to one operation, valid ones and ones that break the document (each must
    get its documented answer: 400 for a broken one), without shrinking: every failure is listed, not minimised."""

    @seed(SEED)
    @hypothesis_settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(GenerationMode.POSITIVE) | operation.as_strategy(GenerationMode.NEGATIVE))
    def run(case: schemathesis.Case) -> None:
        response = case.call(headers=headers)
        sent[label] += 1
        statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except (Exception, BaseExceptionGroup) as exc:  # every failure is listed at the end, not only the first
            failures.append(f"{label} → {response.status_code}: {str(exc)[:600]}\n  {case.as_curl_command()}")

    run()


def test_no_5xx_and_no_schema_violation(settings: Settings, session: Session, tmp_path, capsys) -> None:
    build_city(session)
    session.commit()
    app = create_app(case_settings(settings, tmp_path))
    _seed_cases(app)
    tokens = {role: make_account(app, role, unit="U-A" if role == "unit_clerk" else None)[1] for role in PREFERRED}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    backend = settings.database_url.split(":", 1)[0]
    with capsys.disabled():
        print(f"\nschemathesis on {backend}: seed {SEED}, {EXAMPLES} examples per operation")

    sent: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    started = time.perf_counter()
    operations = 0
    took_per: dict[str, float] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        raw = operation.definition.raw
        allowed = raw.get("x-roles")
        role = next((r for r in PREFERRED if allowed is None or r in allowed), None)
        headers = {"Authorization": f"Bearer {tokens[role]}"} if role and raw.get("security") != [] else {}
        # Plain bodies: Schemathesis' WSGI transport asks for gzip but does not inflate it (gzip has its own tests).
        headers["Accept-Encoding"] = "identity"
        label = f"{operation.method.upper()} {operation.path}"

        t0 = time.perf_counter()
        _exercise(operation, label, headers, sent, statuses, failures)
        took_per[label] = time.perf_counter() - t0
    took = time.perf_counter() - started
    total = sum(sent.values())
    with capsys.disabled():
        print(
            f"schemathesis on {backend}: {total} requests over {operations} operations in {took:.1f} s, "
            f"statuses {dict(sorted(statuses.items()))}, {len(failures)} failures (seed {SEED})"
        )
    slowest = sorted(took_per.items(), key=lambda kv: -kv[1])[:5]
    with capsys.disabled():
        print("slowest operations: " + ", ".join(f"{k} {v:.1f} s" for k, v in slowest))
    assert operations >= 20 and total >= operations * min(EXAMPLES, 5)
    assert not failures, f"seed {SEED}: {len(failures)} failures\n" + "\n".join(failures[:20])
    assert statuses.keys() & {200, 201}, "some generated requests got through to the handlers"
