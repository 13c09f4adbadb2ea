"""A Dask cluster as the synthesis pool: `narrate build --scheduler tcp://HOST:8786` (or NARRATE_SCHEDULER).

dask/distributed is an optional extra (`pip install 'narrate[dask]'`), imported only here, only when asked for.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from narrate.errors import ConfigError
from narrate.synthesis.remote import ExecutorPool

SCHEDULER_ENV = "NARRATE_SCHEDULER"
CONNECT_SECONDS = 10.0
INSTALL_HINT = "pip install 'narrate[dask]'"


@contextmanager
def cluster_pool(address: str, wait_seconds: float = CONNECT_SECONDS) -> Iterator[ExecutorPool]:
    """A synthesis pool over the Dask cluster whose scheduler is at `address`, open for the `with` block."""
    try:
        from distributed import Client
    except ImportError:
        raise ConfigError(f"--scheduler {address}: sending synthesis to a Dask cluster needs Dask: "
                          f"{INSTALL_HINT}") from None
    try:
        client = Client(address, timeout=wait_seconds, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as err:
        raise ConfigError(f"--scheduler {address}: no Dask scheduler answered there ({err}). Start one with "
                          f"`dask scheduler` and workers with `dask worker {address}`, or build without "
                          f"--scheduler (and unset {SCHEDULER_ENV})") from None
    try:
        try:
            client.wait_for_workers(1, timeout=wait_seconds)
        except TimeoutError:
            raise ConfigError(f"--scheduler {address}: the scheduler has no workers. Start some on machines "
                              f"with narrate installed: `dask worker {address} --nthreads 1`") from None
        # pure=False: a clip is made once per submission; the cache, not Dask, de-duplicates by content
        slots = sum(worker["nthreads"] for worker in client.scheduler_info()["workers"].values())
        yield ExecutorPool(client.get_executor(pure=False), f"the Dask cluster at {address}", slots)
    finally:
        client.close()
