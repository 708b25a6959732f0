"""Small shared helpers for the ncli test cloud's Python bootstrap scripts.

Connection facts come from the environment set by scripts/cloud/lib.sh:
KEYSTONE_URL (http://127.0.0.1:5000), PASSWORD, CLOUD_DIR.
"""
import os
import sys
import time

from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

KEYSTONE_URL = os.environ.get('KEYSTONE_URL', 'http://127.0.0.1:5000')
AUTH_URL = KEYSTONE_URL + '/v3'
PASSWORD = os.environ.get('PASSWORD', 'secret')
CLOUD_DIR = os.environ.get('CLOUD_DIR', os.environ.get('NCLI_CLOUD_DIR', '/tmp/ncli-cloud'))
DATA_DIR = os.path.join(CLOUD_DIR, 'data')
LOG_DIR = os.path.join(CLOUD_DIR, 'logs')

# Nova microversion for everything here: >= 2.37 is needed for networks="none".
NOVA_MICROVERSION = '2.37'
# The catalog has two regions (RegionTLS: the https front); a client without a region may get
# either one's endpoint, so every client here names RegionOne (plain http).
REGION = 'RegionOne'
IMAGE_NAME = 'devcloud-image'
IMAGE2_NAME = 'devcloud-image-2'
T0 = time.time()


def log(*msg):
    print(time.strftime('%H:%M:%S'), '[%5.1fs]' % (time.time() - T0), *msg, flush=True)


def fail(msg):
    print('ERROR:', msg, file=sys.stderr, flush=True)
    sys.exit(1)


def session(user='admin', project='admin'):
    """A keystoneauth session, password auth, domain Default."""
    auth = v3.Password(auth_url=AUTH_URL, username=user, password=PASSWORD, project_name=project,
                       user_domain_id='default', project_domain_id='default')
    return ks_session.Session(auth=auth)


def nova(sess):
    from novaclient import client
    return client.Client(NOVA_MICROVERSION, session=sess, region_name=REGION)


def glance(sess):
    from glanceclient import Client
    return Client('2', session=sess, region_name=REGION)


def keystone(sess):
    from keystoneclient.v3 import client
    return client.Client(session=sess, region_name=REGION)


def first(items):
    items = list(items)
    return items[0] if items else None


def wait_for(what, check, timeout=120, interval=1.0):
    """Poll check() until it returns something truthy; fail after timeout seconds."""
    deadline = time.time() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.time() > deadline:
            fail('timed out after %ds waiting for %s' % (timeout, what))
        time.sleep(interval)


# ------------------------------------------------------------------ servers
def image_id(g, name=IMAGE_NAME):
    img = first(i for i in g.images.list(filters={'name': name}) if i['status'] == 'active')
    if not img:
        fail('image %s missing: run scripts/cloud/up.sh' % name)
    return img['id']


def list_servers(n, all_projects=False):
    """Every server (all pages: the API returns max_limit=20 per page)."""
    opts = {'all_tenants': 1} if all_projects else {}
    return n.servers.list(detailed=True, search_opts=opts, limit=-1)


def boot_named(n, names, image, flavor='1', tmp_prefix='boot-tmp', timeout=300):
    """Boot len(names) servers in ONE request (min_count), wait until ACTIVE, rename them to names.

    Nova names multi-create servers '<name>-1' ... '<name>-N', so we boot under a unique
    temporary name and rename afterwards (PUT /servers/{id}). Renaming must wait until the
    servers are ACTIVE: while a server is still a build request, the conductor can overwrite
    the new name with the one it read before. Returns the ids, in the order of names.
    """
    if not names:
        return []
    tmp = '%s-%d-%d' % (tmp_prefix, os.getpid(), int(time.time() * 1000))
    n.servers.create(tmp, image, flavor, nics='none', min_count=len(names), max_count=len(names))

    # multi-create returns only the first server: find all of them by name (the filter is a regex)
    def created():
        found = n.servers.list(search_opts={'name': '^' + tmp}, limit=-1)
        return found if len(found) >= len(names) else None
    found = wait_for('%d new servers named %s*' % (len(names), tmp), created, timeout=120)
    if len(names) > 1:   # keep the boot order: tmp-1 -> names[0], tmp-2 -> names[1], ...
        found.sort(key=lambda s: int(s.name.rsplit('-', 1)[1]))
    ids = [s.id for s in found]
    wait_active(n, ids, timeout=timeout, name='^' + tmp)
    for sid, name in zip(ids, names):
        n.servers.update(sid, name=name)
    return ids


def wait_active(n, ids, timeout=300, all_projects=False, name=None):
    """Wait until every server in ids is ACTIVE; fail with the fault message on ERROR.

    name: optional name regex, so that each poll lists just these servers (listing hundreds of
    servers every second would slow the cloud down). A server missing from one listing is not an
    error: while a multi-create is being scheduled, Nova's marker paging over build requests and
    instances can skip a few; only servers missing for 30 s in a row count as gone.
    """
    want = set(ids)
    if not want:
        return
    opts = {'name': name} if name else {}
    if all_projects:
        opts['all_tenants'] = 1
    deadline = time.time() + timeout
    missing_since = None
    while True:
        states = {s.id: s for s in n.servers.list(search_opts=opts, limit=-1) if s.id in want}
        missing = want - set(states)
        if missing:
            missing_since = missing_since or time.time()
            if time.time() - missing_since > 30:
                fail('servers vanished while booting: %s' % ', '.join(sorted(missing)))
        else:
            missing_since = None
        errors = [s for s in states.values() if s.status == 'ERROR']
        if errors:
            s = errors[0]
            fail('server %s (%s) went to ERROR: %s  (see logs/nova-compute.log, '
                 'logs/nova-conductor.log, logs/nova-scheduler.log)'
                 % (s.name, s.id, getattr(s, 'fault', {}).get('message', '?')))
        pending = [s for s in states.values() if s.status != 'ACTIVE']
        if not pending and not missing:
            return
        if time.time() > deadline:
            example = ('%s is %s' % (pending[0].name, pending[0].status)) if pending else 'some are missing'
            fail('%d servers still not ACTIVE after %ds (%s); see logs/nova-compute.log'
                 % (len(pending) + len(missing), timeout, example))
        time.sleep(2 if len(want) > 20 else 1)


def delete_and_wait(n, servers, timeout=180, all_projects=False):
    ids = {s.id for s in servers}
    if not ids:
        return
    for s in servers:
        try:
            n.servers.force_delete(s) if s.status == 'SOFT_DELETED' else n.servers.delete(s)
        except Exception as e:  # already gone
            log('delete %s: %s' % (s.id, e))
    wait_for('%d servers to be deleted' % len(ids),
             lambda: not (ids & {s.id for s in list_servers(n, all_projects)}), timeout=timeout,
             interval=2)
