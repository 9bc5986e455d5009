"""The typed models of the JSON API: what each ``/api/v1`` request may carry and what each answer holds.

:mod:`~gridmap.web.api.openapi` validates every request against its models before the handler runs and generates
the OpenAPI document from them. The vocabulary (statuses, actions, kinds, roles, rules…) is imported from the
use-cases and the store, never typed again here.

A value that its use-case checks itself, with a message naming the field, is :data:`Judged`: the document shows its
type and range, the model passes it on as sent, and the use-case judges it together with everything else in the
request (one answer lists every problem). The models themselves refuse what no use-case looks at: a body that is not
an object, a list that is too long, a flag or a date that a handler would have read itself.

Response models are the document of what the use-cases answer; they are not applied at run time (the contract test,
tests/test_openapi.py, checks real answers against the document on both databases).

One module per part of the API, each importing only :mod:`~.common` and those before it: :mod:`~.health`,
:mod:`~.routing`, :mod:`~.cases`, :mod:`~.catalogue`, :mod:`~.maps`, :mod:`~.assignments`.
"""
