"""An ML2 mechanism driver that binds every port, so servers can boot on Neutron networks in
the ncli test cloud's agent-less Neutron.

Without a mechanism driver that binds ports (ML2's real ones need an L2 agent alive on the
compute host), Nova's port update with binding:host_id ends with vif_type `binding_failed` and
the boot fails with PortBindingFailed. This one binds the port's first segment at once, as
vif_type `other`, status ACTIVE. The fake virt driver plugs nothing, so nothing else is needed.

Loaded by name `devcloud` (neutron.conf `[ml2] mechanism_drivers = devcloud`): ML2 finds
mechanism drivers through entry points only, declared by devcloud_ml2-1.0.dist-info next to this
file (run_entry.py's folder is on sys.path, so importlib.metadata sees it).
"""
from neutron_lib.api.definitions import portbindings
from neutron_lib import constants
from neutron_lib.plugins.ml2 import api


class DevcloudMechanismDriver(api.MechanismDriver):

    def initialize(self):
        pass

    @property
    def connectivity(self):
        return portbindings.CONNECTIVITY_L2

    def bind_port(self, context):
        for segment in context.segments_to_bind:
            context.set_binding(segment[api.ID], portbindings.VIF_TYPE_OTHER,
                                {portbindings.CAP_PORT_FILTER: False,
                                 portbindings.VIF_DETAILS_CONNECTIVITY: portbindings.CONNECTIVITY_L2},
                                status=constants.PORT_STATUS_ACTIVE)
            return
