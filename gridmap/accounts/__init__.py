"""Who may do what: accounts with one role and an optional scope, API tokens, the actor of every change, and the
append-only audit trail. The web's sign-in (Flask-Security-Too) and the route rules live in :mod:`gridmap.web.auth`;
this package holds what does not depend on Flask.

Modules, in the order they depend on each other:

* :mod:`~gridmap.accounts.actor` — :class:`~.actor.Actor`, who acts (an account through a session or a token, the
  command line, the public), passed to every use-case that changes something.
* :mod:`~gridmap.accounts.roles` — the roles' names and what each may read (contacts, photos).
* :mod:`~gridmap.accounts.scope` — the areas an actor's scope covers, as conditions for the queries.
* :mod:`~gridmap.accounts.audit` — recording and reading the audit trail.
* :mod:`~gridmap.accounts.registry` — creating, listing and disabling accounts; tokens; sign-in bookkeeping.
"""
