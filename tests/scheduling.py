"""How two pytest workers share the expensive servers (``make pytest``: ``-n 2 --dist loadgroup``).

Starting a real assistant costs one to three minutes of a 2-core machine, so:

* every test that uses a shared server fixture (the session's ``stack``, ``second_stack``,
  the production ``cluster``) goes into that fixture's xdist group: one worker runs them all
  and starts the server once (with ``--dist loadfile`` each worker started its own ``stack``,
  and the hardening and scale-out files could each start a cluster);
* any other test file is one unit, as with ``--dist loadfile`` (its module fixtures start once);
* the longest units go out first (:data:`LONGEST_FIRST`): xdist sends units with the most
  tests first, which left a one-test file that starts its own assistant for the end, with
  the other worker idle;
* a group's shared servers stop once the worker has run the group's last test
  (:func:`end_finished_groups`), so a worker holds one assistant at a time, not all it used.
"""

from __future__ import annotations

from typing import Optional

import pytest
from xdist.remote import Producer
from xdist.scheduler import LoadGroupScheduling
from xdist.workermanage import WorkerController

#: Shared fixture (defined in a conftest) -> the xdist group of the tests that use it.
SHARED_FIXTURES = {
    "stack": "stack",
    "web_shop": "stack",
    "shop_db": "stack",
    "telegram_api": "stack",
    "second_stack": "second-stack",
    "cluster": "cluster",
}

#: Units sent before all others, in this order: each starts servers of its own and takes
#: minutes. Measured in a whole run at load 10-15 on the 2 cores (issue 12): the ``stack``
#: group 16 min (its start 504 s), cluster 13 min (start 525 s), the fault tests 13 min
#: (start 406 s, a Rasa restart 328 s), two Rasa workers 8 min (start 458 s), the second
#: stack 4 min (start 233 s), the remote action server (start 195 s). Then the rest, most
#: tests first (xdist's order).
LONGEST_FIRST = (
    "stack",
    "cluster",
    "tests/production/test_faults.py",
    "tests/production/test_rasa_workers.py",
    "second-stack",
    "tests/production/test_remote_action.py",
)


def _shared_group(item: pytest.Item) -> Optional[str]:
    """The group of the first shared fixture ``item`` uses as the conftest defines it."""
    defs = getattr(item, "_fixtureinfo", None)
    if defs is None:
        return None
    for name, group in SHARED_FIXTURES.items():
        chain = defs.name2fixturedefs.get(name)
        # A module's own fixture of the same name (test_faults' ``stack``) is not the shared one.
        if chain and not chain[-1].baseid.endswith(".py"):
            return group
    return None


def group_shared_fixture_users(items: list[pytest.Item]) -> None:
    """Put each user of a shared server fixture in that fixture's xdist group (none set by hand)."""
    for item in items:
        if item.get_closest_marker("xdist_group") is None:
            group = _shared_group(item)
            if group is not None:
                item.add_marker(pytest.mark.xdist_group(group))


def _group_of(item: Optional[pytest.Item]) -> Optional[str]:
    mark = item.get_closest_marker("xdist_group") if item is not None else None
    return str(mark.args[0]) if mark is not None and mark.args else None


def end_finished_groups(item: pytest.Item, nextitem: Optional[pytest.Item]) -> None:
    """After a group's last test on this worker, stop that group's shared servers.

    Only on a ``--dist loadgroup`` worker, where :class:`LongestFirstScheduling` sends a group
    as one unit, run back to back: elsewhere (one process, file order) the users of ``stack``
    are spread over the run and it must live to the end.
    """
    group = _group_of(item)
    # xdist sets option.loadgroup on its workers only; in one process (-n 0) it is absent
    loadgroup = getattr(item.config.option, "loadgroup", False)
    if group is None or not loadgroup or _group_of(nextitem) == group:
        return
    info = item._fixtureinfo  # type: ignore[attr-defined]
    for name, owner in SHARED_FIXTURES.items():
        if owner == group:
            for fixturedef in info.name2fixturedefs.get(name, ()):
                if fixturedef.cached_result is not None:
                    fixturedef.finish(item._request)  # type: ignore[attr-defined]


class LongestFirstScheduling(LoadGroupScheduling):
    """``loadgroup`` whose ungrouped tests go by file (as ``loadfile``) and longest units first."""

    def _split_scope(self, nodeid: str) -> str:
        scope = super()._split_scope(nodeid)  # the group, or the node id when there is none
        return scope if scope != nodeid else nodeid.split("::", 1)[0]

    def _assign_work_unit(self, node: WorkerController) -> None:
        for scope in reversed(LONGEST_FIRST):
            if scope in self.workqueue:
                self.workqueue.move_to_end(scope, last=False)
        super()._assign_work_unit(node)


def make_scheduler(config: pytest.Config, log: Producer) -> Optional[LongestFirstScheduling]:
    """Our scheduler for ``--dist loadgroup``; None (xdist's own) for any other ``--dist``."""
    if config.getvalue("dist") != "loadgroup":
        return None
    return LongestFirstScheduling(config, log)
