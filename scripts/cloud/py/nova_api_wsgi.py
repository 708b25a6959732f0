"""WSGI entry point for nova-api under uwsgi (config dir from OS_NOVA_CONFIG_DIR)."""
from nova.api.openstack.compute.wsgi import init_application

application = init_application()
