"""nova-compute with the devcloud fake driver (see devcloud_driver.py).

Nova (Zed) loads the driver as 'nova.virt.' + CONF.compute_driver, so a module outside the
nova.virt package cannot be named directly. This launcher imports nova.cmd.compute first (which
eventlet-monkey-patches the process, and must happen before anything else), then registers
devcloud_driver as nova.virt.devcloud_driver, so nova.conf can say
`compute_driver = devcloud_driver.DevcloudFakeDriver`.

It also makes one performance fix (see lazy_provider_tree_allocations below).
"""
import collections.abc
import os
import sys

from nova.cmd import compute  # noqa: monkey patching happens on this import

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import devcloud_driver  # noqa: E402
import nova.virt  # noqa: E402
from nova.scheduler.client import report  # noqa: E402

sys.modules['nova.virt.devcloud_driver'] = devcloud_driver
nova.virt.devcloud_driver = devcloud_driver


# Performance fix. On every instance claim, Zed's resource tracker calls
# get_allocations_for_provider_tree(), which sends one GET /allocations/{uuid} to placement for
# EVERY instance on the host, although the result is only used when a reshape is needed (never,
# with the fake driver). With hundreds of fake servers on the one host, booting becomes
# quadratic: ~280 placement requests per boot at 250 servers. The result is made lazy here:
# placement is only asked if somebody really reads it.
class _LazyAllocations(collections.abc.Mapping):
    def __init__(self, load):
        self._load, self._data = load, None

    def _get(self):
        if self._data is None:
            self._data = self._load()
        return self._data

    def __getitem__(self, key):
        return self._get()[key]

    def __iter__(self):
        return iter(self._get())

    def __len__(self):
        return len(self._get())


_original = report.SchedulerReportClient.get_allocations_for_provider_tree


def lazy_provider_tree_allocations(self, context, nodename):
    return _LazyAllocations(lambda: _original(self, context, nodename))


report.SchedulerReportClient.get_allocations_for_provider_tree = lazy_provider_tree_allocations

sys.argv[0] = 'nova-compute'
sys.exit(compute.main())
