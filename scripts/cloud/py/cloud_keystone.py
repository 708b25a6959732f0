"""Keystone users, projects, roles and the service catalog for the ncli test cloud (idempotent).

Run after `keystone-manage bootstrap` (which made admin/admin, the admin role and the identity
endpoints). Creates:
  * project `service`, roles member/reader/service
  * service users nova, placement, glance, neutron (password = $PASSWORD; admin + service roles
    on project service)
  * project `demo` with user `demo` (role member), for non-admin and --all-projects tests
  * catalog entries (public/internal/admin, RegionOne) for compute, placement, image, network
"""
from cloudlib import first, keystone, log, session, PASSWORD

SERVICES = (  # name, type, URL
    ('nova', 'compute', 'http://127.0.0.1:8774/v2.1'),
    ('placement', 'placement', 'http://127.0.0.1:8778'),
    ('glance', 'image', 'http://127.0.0.1:9292'),
    ('neutron', 'network', 'http://127.0.0.1:9696'),
)


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
    for name in ('nova', 'placement', 'glance', 'neutron'):
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
        have = {e.interface for e in k.endpoints.list(service=svc)}
        for iface in ('public', 'internal', 'admin'):
            if iface not in have:
                k.endpoints.create(svc, url, interface=iface, region='RegionOne')
    log('catalog ok')


if __name__ == '__main__':
    main()
