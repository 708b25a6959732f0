"""Scheduler weigher of the ncli test cloud: new servers go to the first compute host.

The cloud has two fake compute hosts (devcloud-compute and compute-2, see up.sh). Servers that
nobody places go to devcloud-compute, so that tests see the first host's consoles (Xvnc
"devcloud-vm1", ...) whatever else runs; compute-2 gets a server when one is asked for
(`--host compute-2` from 2.74, `--availability-zone nova:compute-2`), by a move (migrate, live
migrate, evacuate: the scheduler leaves out the source host) or when devcloud-compute cannot
take it (disabled, forced down, full, hard anti-affinity). Soft (anti-)affinity still wins:
nova.conf gives those weighers a larger multiplier.

Loaded by nova-scheduler through `[filter_scheduler] weight_classes` (this folder is on
sys.path: run_entry.py lives here). The preferred host is DEVCLOUD_FIRST_HOST (env), default
devcloud-compute.
"""
import os

from nova.scheduler import weights

FIRST_HOST = os.environ.get('DEVCLOUD_FIRST_HOST', 'devcloud-compute')


class FirstHostWeigher(weights.BaseHostWeigher):
    # each weigher's weights are normalised to [0, 1] over the candidate hosts, then multiplied:
    # RAM, CPU and disk weighers (multiplier 1) can never outweigh this one
    MULTIPLIER = 10.0

    def weight_multiplier(self, host_state):
        return self.MULTIPLIER

    def _weigh_object(self, host_state, weight_properties):
        return 1.0 if host_state.host == FIRST_HOST else 0.0
