"""Fixtures of the ncli test cloud (idempotent). Two phases, run by up.sh:

  cloud_fixtures.py prepare
      images `devcloud-image` and `devcloud-image-2`, flavors, admin quota, application
      credential `ncli-test`, network `private` (shared) with subnet `private-subnet`, the
      external network `public` and router `devcloud-router` (gateway on `public`, interface on
      `private-subnet`: floating IPs of `public` associate with ports on `private`), then waits
      for nova-compute to report `up`.
  cloud_fixtures.py servers
      the fixture servers (see ADMIN_SERVERS / DEMO_SERVERS), then writes data/facts.env.

The fake driver (devcloud_driver.py) adopts the servers Nova knows on its host when
nova-compute restarts, so servers survive restarts; broken ones are replaced (ensure_servers).
Fixture servers live on the first compute host (COMPUTE1_HOST): new servers go there anyway
(devcloud_weigher.py), and one that a test moved elsewhere is live-migrated back.
"""
import argparse
import collections
import io
import json
import os
import re

from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

import cloudlib as cl
from cloudlib import log

# id, name, ram MB, disk GB, vcpus, ephemeral GB, public
FLAVORS = (
    ('1', 'm1.tiny', 512, 1, 1, 0, True),
    ('2', 'm1.small', 2048, 20, 1, 0, True),
    ('custom-x', 'm1.custom', 1024, 10, 2, 5, True),    # non-UUID, non-numeric string id
    ('priv-1', 'm1.private', 512, 1, 1, 0, False),      # private: is_public false
)
# admin project: 25 servers = more than one page ([api] max_limit = 20)
ADMIN_SERVERS = ['vm1', 'web.1', 'webX1', 'dup', 'dup'] + ['fill-%02d' % i for i in range(1, 21)]
DEMO_SERVERS = ['demo-vm']
ADMIN_QUOTA = dict(instances=400, cores=800, ram=819200)
APPCRED_NAME = 'ncli-test'
APPCRED_FILE = os.path.join(cl.DATA_DIR, 'appcred.json')
COMPUTE_PID_FILE = os.path.join(cl.DATA_DIR, 'fixtures-compute.pid')   # written by older harnesses
IMAGES = (cl.IMAGE_NAME, cl.IMAGE2_NAME)   # 1 KiB raw each, public; the second for rebuild tests
NETWORK, SUBNET, SUBNET_CIDR = 'private', 'private-subnet', '10.10.0.0/24'
NETWORK2, SUBNET2, SUBNET2_CIDR = 'private-2', 'private-2-subnet', '10.20.0.0/24'
# external network (flat, physnet `public`, router:external) for floating IPs; nothing forwards
# packets (no L3 agent): Neutron's API associates a floating IP with a port on its own
PUBLIC, PUBLIC_SUBNET, PUBLIC_CIDR = 'public', 'public-subnet', '172.24.4.0/24'
ROUTER = 'devcloud-router'
SECGROUP = 'devcloud-sg'
FACTS_FILE = os.path.join(cl.DATA_DIR, 'facts.env')
FIRST_HOST = os.environ.get('COMPUTE1_HOST', 'devcloud-compute')


# ------------------------------------------------------------------ prepare
def ensure_image(g, name):
    img = cl.first(i for i in g.images.list(filters={'name': name}))
    if img and img['status'] != 'active':
        log('image %s is %s: replacing it' % (img['id'], img['status']))
        g.images.delete(img['id'])
        img = None
    if not img:
        img = g.images.create(name=name, disk_format='raw', container_format='bare',
                              visibility='public')
        g.images.upload(img['id'], io.BytesIO(b'\0' * 1024))   # 1 KiB raw image
        img = g.images.get(img['id'])
        log('image %s %s uploaded (%s)' % (name, img['id'], img['status']))
    return img['id']


def _neutron(sess):
    net_api = dict(service_type='network', interface='public', region_name=cl.REGION)

    def get(path):
        return sess.get(path, endpoint_filter=net_api).json()

    def post(path, body):
        return sess.post(path, json=body, endpoint_filter=net_api).json()
    return get, post


def ensure_network(sess, name=NETWORK, subnet_name=SUBNET, cidr=SUBNET_CIDR):
    """Network `private` (shared, type local: no wiring) with subnet 10.10.0.0/24, no DHCP (and
    `private-2` with 10.20.0.0/24, for a second interface).

    Ports on it are bound by the devcloud ML2 mechanism driver (devcloud_ml2.py), so servers
    booted with --network get an address from Neutron's IPAM (no DHCP agent answers anyway).
    """
    get, post = _neutron(sess)
    net = cl.first(get('/v2.0/networks?name=' + name)['networks'])
    if not net:
        net = post('/v2.0/networks', {'network': {'name': name, 'shared': True}})['network']
        log('network %s %s created' % (name, net['id']))
    subnet = cl.first(get('/v2.0/subnets?name=%s&network_id=%s' % (subnet_name, net['id']))['subnets'])
    if not subnet:
        subnet = post('/v2.0/subnets', {'subnet': {
            'name': subnet_name, 'network_id': net['id'], 'ip_version': 4, 'cidr': cidr,
            'enable_dhcp': False}})['subnet']
        log('subnet %s %s created' % (subnet_name, subnet['id']))
    return net['id'], subnet['id']


def _neutron_put(sess):
    net_api = dict(service_type='network', interface='public', region_name=cl.REGION)

    def put(path, body):
        return sess.put(path, json=body, endpoint_filter=net_api).json()
    return put


def ensure_public_network(sess):
    """External network `public` (flat, physnet `public`, router:external) with subnet
    `public-subnet` 172.24.4.0/24 (no DHCP): the pool of floating IPs."""
    get, post = _neutron(sess)
    net = cl.first(get('/v2.0/networks?name=' + PUBLIC)['networks'])
    if not net:
        net = post('/v2.0/networks', {'network': {
            'name': PUBLIC, 'router:external': True, 'provider:network_type': 'flat',
            'provider:physical_network': PUBLIC}})['network']
        log('external network %s %s created' % (PUBLIC, net['id']))
    subnet = cl.first(get('/v2.0/subnets?name=%s&network_id=%s' % (PUBLIC_SUBNET, net['id']))['subnets'])
    if not subnet:
        subnet = post('/v2.0/subnets', {'subnet': {
            'name': PUBLIC_SUBNET, 'network_id': net['id'], 'ip_version': 4, 'cidr': PUBLIC_CIDR,
            'enable_dhcp': False}})['subnet']
        log('subnet %s %s created' % (PUBLIC_SUBNET, subnet['id']))
    return net['id'], subnet['id']


def ensure_router(sess, public_net_id, private_subnet_id):
    """Router `devcloud-router`: gateway on `public`, an interface on `private-subnet` (each added
    only when missing). `private-2` is deliberately not connected: a server with ports only
    there cannot get a floating IP (Neutron's 404 ExternalGatewayForFloatingIPNotFound)."""
    get, post = _neutron(sess)
    put = _neutron_put(sess)
    router = cl.first(get('/v2.0/routers?name=' + ROUTER)['routers'])
    if not router:
        router = post('/v2.0/routers', {'router': {
            'name': ROUTER, 'external_gateway_info': {'network_id': public_net_id}}})['router']
        log('router %s %s created' % (ROUTER, router['id']))
    elif (router.get('external_gateway_info') or {}).get('network_id') != public_net_id:
        router = put('/v2.0/routers/' + router['id'], {'router': {
            'external_gateway_info': {'network_id': public_net_id}}})['router']
        log('router %s: gateway set on %s' % (ROUTER, PUBLIC))
    ports = get('/v2.0/ports?device_id=%s&device_owner=network:router_interface' % router['id'])['ports']
    if not any(ip.get('subnet_id') == private_subnet_id for p in ports for ip in p.get('fixed_ips', [])):
        put('/v2.0/routers/%s/add_router_interface' % router['id'], {'subnet_id': private_subnet_id})
        log('router %s: interface on subnet %s added' % (ROUTER, private_subnet_id))
    return router['id']


def ensure_secgroup(sess):
    """Security group `devcloud-sg` in the session's project, allowing ssh (tcp 22) in."""
    get, post = _neutron(sess)
    project = sess.get_project_id()
    sg = cl.first(get('/v2.0/security-groups?name=%s&project_id=%s' % (SECGROUP, project))['security_groups'])
    if not sg:
        sg = post('/v2.0/security-groups', {'security_group': {
            'name': SECGROUP, 'description': 'ncli tests: ssh in (scripts/cloud)'}})['security_group']
        post('/v2.0/security-group-rules', {'security_group_rule': {
            'security_group_id': sg['id'], 'direction': 'ingress', 'ethertype': 'IPv4',
            'protocol': 'tcp', 'port_range_min': 22, 'port_range_max': 22,
            'remote_ip_prefix': '0.0.0.0/0'}})
        log('security group %s %s created' % (SECGROUP, sg['id']))
    return sg['id']


def ensure_flavors(n, admin_project_id):
    existing = {f.id: f for f in n.flavors.list(is_public=None)}
    by_name = {f.name: f for f in existing.values()}
    for fid, name, ram, disk, vcpus, eph, public in FLAVORS:
        f = existing.get(fid)
        ok = (f is not None and f.name == name and f.ram == ram and f.disk == disk and f.vcpus == vcpus
              and f.ephemeral == eph and f.is_public == public)
        if not ok:
            for stale in {x.id: x for x in (f, by_name.get(name)) if x is not None}.values():
                log('flavor %s (%s) differs from the fixture: recreating' % (stale.name, stale.id))
                n.flavors.delete(stale)
            f = n.flavors.create(name, ram, vcpus, disk, flavorid=fid, ephemeral=eph, is_public=public)
            log('flavor %s (%s) created' % (name, fid))
        if not public:   # the admin project may use (and list) the private flavor
            if admin_project_id not in {a.tenant_id for a in n.flavor_access.list(flavor=f)}:
                n.flavor_access.add_tenant_access(f, admin_project_id)


def ensure_appcred(k, user_id):
    """Application credential ncli-test of user admin; its secret is only shown once, so keep it."""
    saved = None
    if os.path.exists(APPCRED_FILE):
        with open(APPCRED_FILE) as fh:
            saved = json.load(fh)
        try:   # still valid? (one authentication with it)
            auth = v3.ApplicationCredential(auth_url=cl.AUTH_URL, application_credential_id=saved['id'],
                                            application_credential_secret=saved['secret'])
            ks_session.Session(auth=auth).get_token()
            return saved
        except Exception as e:
            log('saved application credential no longer works (%s): recreating' % e)
    for old in k.application_credentials.list(user=user_id):
        if old.name == APPCRED_NAME:
            k.application_credentials.delete(old.id, user=user_id)
    ac = k.application_credentials.create(APPCRED_NAME, user=user_id,
                                          description='ncli integration tests (scripts/cloud)')
    saved = {'id': ac.id, 'secret': ac.secret, 'name': APPCRED_NAME}
    fd = os.open(APPCRED_FILE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as fh:
        json.dump(saved, fh)
    log('application credential %s created' % ac.id)
    return saved


def prepare():
    sess = cl.session()
    admin_project_id = sess.get_project_id()
    n, g, k = cl.nova(sess), cl.glance(sess), cl.keystone(sess)
    images = [ensure_image(g, name) for name in IMAGES]
    ensure_flavors(n, admin_project_id)
    n.quotas.update(admin_project_id, **ADMIN_QUOTA)
    ensure_appcred(k, sess.get_user_id())
    _, subnet_id = ensure_network(sess)
    ensure_network(sess, NETWORK2, SUBNET2, SUBNET2_CIDR)
    public_net_id, _ = ensure_public_network(sess)
    ensure_router(sess, public_net_id, subnet_id)
    log('images %s, flavors, quota, appcred, networks, router ok' % ', '.join(images))
    ensure_first_host_usable(n)
    cl.wait_for('nova-compute on %s to report up (see logs/nova-compute.log)' % FIRST_HOST,
                lambda: [s for s in n.services.list(host=FIRST_HOST, binary='nova-compute')
                         if s.state == 'up'],
                timeout=120)
    others = ', '.join('%s %s/%s%s' % (s.host, s.status, s.state, ' (forced down)' if s.forced_down else '')
                       for s in n.services.list(binary='nova-compute') if s.host != FIRST_HOST)
    log('nova-compute on %s is up; other hosts: %s' % (FIRST_HOST, others or 'none yet'))


def ensure_first_host_usable(n):
    """The first compute host takes the fixtures and every unplaced server: a test that disabled
    it or forced it down and never undid that is undone here (compute-2 is left as it is)."""
    for svc in n.services.list(host=FIRST_HOST, binary='nova-compute'):
        if svc.forced_down:
            log('nova-compute on %s was forced down: setting it up' % FIRST_HOST)
            n.services.force_down(FIRST_HOST, 'nova-compute', False)
        if svc.status != 'enabled':
            log('nova-compute on %s was disabled (%s): enabling it' % (FIRST_HOST, svc.disabled_reason))
            n.services.enable(FIRST_HOST, 'nova-compute')


def ensure_on_first_host(n_admin, ids):
    """Live-migrate fixture servers that are not on FIRST_HOST back there (a test moved them)."""
    def away():
        found = [s for s in cl.list_servers(n_admin, all_projects=True) if s.id in ids]
        return [s for s in found if getattr(s, 'OS-EXT-SRV-ATTR:host', None) != FIRST_HOST
                or getattr(s, 'OS-EXT-STS:task_state', None)]
    moving = away()
    for s in moving:
        if getattr(s, 'OS-EXT-STS:task_state', None):
            continue   # a move in progress: wait for it below, then check again
        log('fixture %s (%s) is on %s: live-migrating it back to %s'
            % (s.name, s.id, getattr(s, 'OS-EXT-SRV-ATTR:host', None), FIRST_HOST))
        n_admin.servers.live_migrate(s, FIRST_HOST, 'auto')
    if moving:
        cl.wait_for('fixture servers back on %s' % FIRST_HOST, lambda: not away(), timeout=180, interval=1)


# ------------------------------------------------------------------ servers
def ensure_servers(n, image, wanted, who):
    """Make the project hold exactly the wanted names (a list; repeats = several servers).

    Keeps ACTIVE servers, starts SHUTOFF ones, deletes broken ones (ERROR, or ACTIVE with power
    state NOSTATE = unknown to the fake driver) and extras, boots what is missing in one request.
    Returns {name: [ids]}.
    """
    want = collections.Counter(wanted)

    def settled():   # wait out running tasks (booting, stopping, deleting, ...) first
        mine = [s for s in cl.list_servers(n) if s.name in want or s.name.startswith('fixture-tmp-')]
        busy = [s for s in mine if getattr(s, 'OS-EXT-STS:task_state', None)]
        return None if busy else (mine,)
    groups = collections.defaultdict(list)
    for s in cl.wait_for('%s servers to finish their tasks' % who, settled, timeout=180)[0]:
        groups[s.name].append(s)
    # leftovers of an interrupted boot_named() (booted, never renamed)
    delete = [s for name in list(groups) if name.startswith('fixture-tmp-') for s in groups.pop(name)]
    start, keep, missing = [], collections.defaultdict(list), []
    for name, count in want.items():
        for s in sorted(groups[name], key=lambda s: s.created):
            power = getattr(s, 'OS-EXT-STS:power_state', None)
            if len(keep[name]) >= count:
                delete.append(s)
            elif s.status == 'ACTIVE' and power == 1:
                keep[name].append(s.id)
            elif s.status == 'SHUTOFF':
                start.append(s)
                keep[name].append(s.id)
            else:
                log('%s server %s (%s) is %s/power %s: replacing it' % (who, s.name, s.id, s.status, power))
                delete.append(s)
        missing += [name] * (count - len(keep[name]))
    if delete:
        log('%s: deleting %d servers' % (who, len(delete)))
        cl.delete_and_wait(n, delete)
    for s in start:
        log('%s: starting %s (%s)' % (who, s.name, s.id))
        n.servers.start(s)
    if missing:
        log('%s: booting %d servers' % (who, len(missing)))
        new = cl.boot_named(n, missing, image, '1', tmp_prefix='fixture-tmp')
        for name, sid in zip(missing, new):
            keep[name].append(sid)
    ids = [i for lst in keep.values() for i in lst]
    cl.wait_active(n, ids)
    have = collections.Counter(s.name for s in cl.list_servers(n) if s.id in set(ids))
    if have != want:
        cl.fail('%s fixture servers are not as expected: %s' % (who, dict(have - want) or dict(want - have)))
    log('%s: %d fixture servers ACTIVE' % (who, len(ids)))
    return keep


def write_facts(facts):
    tmp = FACTS_FILE + '.tmp'
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as fh:
        for key, value in facts.items():
            if not re.match(r'^[A-Za-z0-9_.,:/+=-]*$', value):
                cl.fail('unsafe character in fact %s' % key)
            fh.write('%s=%s\n' % (key, value))   # unquoted: every value is a plain token
    os.replace(tmp, FACTS_FILE)


def servers():
    admin_sess, demo_sess = cl.session(), cl.session('demo', 'demo')
    n_admin, n_demo = cl.nova(admin_sess), cl.nova(demo_sess)
    g = cl.glance(admin_sess)
    image, image2 = cl.image_id(g), cl.image_id(g, cl.IMAGE2_NAME)
    net_id, subnet_id = ensure_network(admin_sess)
    net2_id, subnet2_id = ensure_network(admin_sess, NETWORK2, SUBNET2, SUBNET2_CIDR)
    public_net_id, public_subnet_id = ensure_public_network(admin_sess)
    router_id = ensure_router(admin_sess, public_net_id, subnet_id)
    sg_admin, sg_demo = ensure_secgroup(admin_sess), ensure_secgroup(demo_sess)
    if os.path.exists(COMPUTE_PID_FILE):
        os.unlink(COMPUTE_PID_FILE)

    admin = ensure_servers(n_admin, image, ADMIN_SERVERS, 'admin')
    demo = ensure_servers(n_demo, image, DEMO_SERVERS, 'demo')
    ensure_on_first_host(n_admin, {i for d in (admin, demo) for lst in d.values() for i in lst})

    with open(APPCRED_FILE) as fh:
        appcred = json.load(fh)
    write_facts(collections.OrderedDict([
        ('ADMIN_PROJECT_ID', admin_sess.get_project_id()),
        ('DEMO_PROJECT_ID', demo_sess.get_project_id()),
        ('IMAGE_ID', image),
        ('IMAGE2_ID', image2),
        ('PRIVATE_NET_ID', net_id),
        ('PRIVATE_SUBNET_ID', subnet_id),
        ('PRIVATE2_NET_ID', net2_id),
        ('PRIVATE2_SUBNET_ID', subnet2_id),
        ('PUBLIC_NET_NAME', PUBLIC),
        ('PUBLIC_NET_ID', public_net_id),
        ('PUBLIC_SUBNET_ID', public_subnet_id),
        ('PUBLIC_SUBNET_CIDR', PUBLIC_CIDR),
        ('ROUTER_ID', router_id),
        ('SECGROUP_NAME', SECGROUP),
        ('SECGROUP_ID', sg_admin),
        ('DEMO_SECGROUP_ID', sg_demo),
        ('VM1_ID', admin['vm1'][0]),
        ('WEB1_ID', admin['web.1'][0]),
        ('DUP_IDS', ','.join(admin['dup'])),
        ('DEMO_VM_ID', demo['demo-vm'][0]),
        ('APPCRED_ID', appcred['id']),
        ('APPCRED_SECRET', appcred['secret']),
    ]))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest='phase', required=True)
    sub.add_parser('prepare')
    sub.add_parser('servers')
    a = p.parse_args()
    if a.phase == 'prepare':
        prepare()
    else:
        servers()


if __name__ == '__main__':
    main()
