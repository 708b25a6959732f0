"""Keystone users, projects, roles and the service catalog for the ncli test cloud (idempotent).

Run after `keystone-manage bootstrap` (which made admin/admin, the admin role and the identity
endpoints). Creates:
  * project `service`, roles member/reader/service
  * service users nova, placement, glance, neutron, cinder (password = $PASSWORD; admin + service roles
    on project service)
  * project `demo` with user `demo` (role member), for non-admin and --all-projects tests
  * catalog entries (public/internal/admin, RegionOne) for compute, placement, image, network,
    and Cinder twice: volumev3 (name cinderv3) and block-storage (name cinder), one URL
  * region RegionTLS ($TLS_REGION): identity over https (every interface), compute public over
    https (internal and admin plain http), placement, image and network plain http; the https
    URLs are the nginx TLS front ($KEYSTONE_TLS_URL, $NOVA_TLS_URL)
Endpoints whose URL differs from the wanted one are corrected.
"""
import os

from cloudlib import first, keystone, log, session, PASSWORD

KEYSTONE_TLS_URL = os.environ.get('KEYSTONE_TLS_URL', 'https://127.0.0.1:15000')
NOVA_TLS_URL = os.environ.get('NOVA_TLS_URL', 'https://127.0.0.1:18774')
TLS_REGION = os.environ.get('TLS_REGION', 'RegionTLS')
NOVA_URL = 'http://127.0.0.1:8774/v2.1'
CINDER_URL = 'http://127.0.0.1:8776/v3/%(project_id)s'

SERVICES = (  # name, type, URL
    ('nova', 'compute', NOVA_URL),
    ('placement', 'placement', 'http://127.0.0.1:8778'),
    ('glance', 'image', 'http://127.0.0.1:9292'),
    ('neutron', 'network', 'http://127.0.0.1:9696'),
    ('cinderv3', 'volumev3', CINDER_URL),
    ('cinder', 'block-storage', CINDER_URL),
)
INTERFACES = ('public', 'internal', 'admin')


def tls_url(typ, iface, url):
    """The URL of a service's endpoint in RegionTLS."""
    if typ == 'identity':
        return KEYSTONE_TLS_URL + '/v3/'
    if typ == 'compute' and iface == 'public':
        return NOVA_TLS_URL + '/v2.1'
    return url


def ensure_endpoint(k, svc, iface, region, url):
    found = [e for e in k.endpoints.list(service=svc, interface=iface, region_id=region) if e.region_id == region]
    if found and found[0].url == url:
        return
    for e in found:
        k.endpoints.delete(e)
    k.endpoints.create(svc, url, interface=iface, region=region)
    log('endpoint %s %s %s: %s' % (region, svc.type, iface, url))


def main():
    k = keystone(session())

    def role(name):
        return first(k.roles.list(name=name)) or k.roles.create(name)

    def project(name, description=''):
        return (first(k.projects.list(name=name, domain='default'))
                or k.projects.create(name, 'default', description=description))

    def user(name, default_project=None):
        return (first(k.users.list(name=name, domain='default'))
                or k.users.create(name, domain='default', password=PASSWORD,
                                  default_project=default_project))

    admin_role, member, _reader, service_role = (role(r) for r in ('admin', 'member', 'reader', 'service'))

    service_project = project('service', 'OpenStack service users')
    for name in ('nova', 'placement', 'glance', 'neutron', 'cinder'):
        u = user(name)
        k.roles.grant(admin_role, user=u, project=service_project)    # PUT: idempotent
        k.roles.grant(service_role, user=u, project=service_project)
    log('service users ok')

    demo_project = project('demo', 'non-admin project for ncli tests')
    demo = user('demo', demo_project)
    k.roles.grant(member, user=demo, project=demo_project)
    log('demo user ok')

    for name, typ, url in SERVICES:
        svc = first(k.services.list(name=name, type=typ)) or k.services.create(name, type=typ)
        for iface in INTERFACES:
            ensure_endpoint(k, svc, iface, 'RegionOne', url)

    if not first(r for r in k.regions.list() if r.id == TLS_REGION):
        k.regions.create(id=TLS_REGION, description='the https front of the ncli test cloud (nginx)')
    identity = first(k.services.list(type='identity'))   # made by keystone-manage bootstrap
    for svc in [identity] + [first(k.services.list(name=name, type=typ)) for name, typ, _ in SERVICES]:
        base = dict((t, u) for _, t, u in SERVICES).get(svc.type)
        for iface in INTERFACES:
            ensure_endpoint(k, svc, iface, TLS_REGION, tls_url(svc.type, iface, base))
    log('catalog ok')


if __name__ == '__main__':
    main()
