"""WSGI entry point for nova-api under uwsgi (config dir from OS_NOVA_CONFIG_DIR).

One change to Nova: soft delete only for servers named soft-*. With
`reclaim_instance_interval` > 0 (nova.conf), Nova's API soft-deletes every server on
DELETE /servers/{id}: it stays SOFT_DELETED (GET answers 200, not 404) until the compute host
reclaims it, which would make every test's delete wait a minute. Here a server whose name
starts with SOFT_DELETE_PREFIX is soft-deleted exactly as Nova does it (restore and force-delete
work on it); any other is deleted at once, as with reclaim_instance_interval = 0.
"""
from nova.api.openstack.compute import servers
from nova.api.openstack.compute.wsgi import init_application
import nova.conf
from nova import exception
from nova.policies import servers as server_policies

SOFT_DELETE_PREFIX = 'soft-'
CONF = nova.conf.CONF


def _delete(self, context, req, instance_uuid):
    # nova/api/openstack/compute/servers.py ServersController._delete, plus the name test
    instance = self._get_server(context, req, instance_uuid)
    context.can(server_policies.SERVERS % 'delete',
                target={'user_id': instance.user_id, 'project_id': instance.project_id})
    if CONF.reclaim_instance_interval and (instance.display_name or '').startswith(SOFT_DELETE_PREFIX):
        try:
            self.compute_api.soft_delete(context, instance)
        except exception.InstanceInvalidState:   # never ACTIVE: Nova deletes it for real
            self.compute_api.delete(context, instance)
    else:
        self.compute_api.delete(context, instance)


servers.ServersController._delete = _delete

application = init_application()
