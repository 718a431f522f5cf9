"""Eager application steps that still run "inside a task" (Python 3.12's eager tasks, on 3.11).

Most requests never wait for anything: ``send()`` completes at once, the body is already here.
Making an ``asyncio.Task`` for each costs a task object, a ``call_soon`` and an extra event-loop
turn (about 3 µs here) and splits the response writes from the bytes that caused them. So the
first step of the application coroutine runs right away, in ``data_received``.

But an application may need to be inside a task even when it does not wait: ``asyncio.timeout``,
``asyncio.TaskGroup``, anyio cancel scopes (Starlette's ``StreamingResponse``, FastAPI's thread
pool) all look at ``asyncio.current_task()``. And if the application does wait, the task that
continues it must be the *same* task object, or anyio finds a cancel scope "exited in a different
task".

:class:`EagerTask` solves both: a pure-Python ``asyncio.Task`` (``asyncio.tasks._PyTask``) built
without being scheduled. :func:`step` registers it as the loop's current task, sends ``None``
into the coroutine, and unregisters it. When the coroutine finishes there, the object is simply
reused for the next request of the connection (nothing was scheduled, nothing to clean up). When
it yields a future, :func:`adopt` turns the same object into a real running task, exactly as
``Task.__step`` would have after that first step; asyncio drives it from then on.
"""

from __future__ import annotations

import asyncio
from asyncio import futures, tasks
from typing import Any

__all__ = ["EagerTask", "adopt", "step"]

_PyTask: Any = tasks._PyTask  # type: ignore[attr-defined]
_PyFuture: Any = futures._PyFuture  # type: ignore[attr-defined]
_enter_task: Any = tasks._enter_task
_leave_task: Any = tasks._leave_task
_register_task: Any = tasks._register_task


class EagerTask(_PyTask):  # type: ignore[misc]
    """An ``asyncio.Task`` that is not scheduled until :func:`adopt` says so.

    Args:
        loop: the event loop.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        # Task.__init__ without its call_soon(): the fields asyncio and anyio read.
        _PyFuture.__init__(self, loop=loop)
        self._name = "crlf-app"
        self._num_cancels_requested = 0
        self._must_cancel = False
        self._fut_waiter = None
        self._coro = None
        self._context = None
        self._log_destroy_pending = False  # an unused object is dropped silently


def step(task: EagerTask, coro: Any, context: Any) -> Any:
    """Run the coroutine's first step with ``task`` as the current task.

    Returns:
        What the coroutine yielded (a future, or None for a bare yield).

    Raises:
        StopIteration: the coroutine finished; anything it raised.
    """
    loop = task._loop
    _enter_task(loop, task)
    try:
        return context.run(coro.send, None)
    finally:
        _leave_task(loop, task)


def adopt(task: EagerTask, coro: Any, context: Any, pending: Any) -> None:
    """Make ``task`` the running task of ``coro``, which yielded ``pending`` in :func:`step`.

    This is the tail of ``Task.__step`` (CPython ``asyncio/tasks.py``) after ``coro.send()``.
    """
    task._coro = coro
    task._context = context
    task._log_destroy_pending = True
    _register_task(task)
    loop = task._loop
    if pending is None:  # a bare yield (asyncio.sleep(0)): run again on the next turn
        loop.call_soon(task._Task__step, context=context)
        return
    blocking = getattr(pending, "_asyncio_future_blocking", None)
    if blocking:
        pending._asyncio_future_blocking = False
        pending.add_done_callback(task._Task__wakeup, context=context)
        task._fut_waiter = pending
        if task._must_cancel and pending.cancel(msg=getattr(task, "_cancel_message", None)):
            task._must_cancel = False
        return
    error = RuntimeError(f"Task got bad yield: {pending!r}")
    loop.call_soon(task._Task__step, error, context=context)
