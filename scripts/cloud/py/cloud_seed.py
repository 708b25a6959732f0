"""Make sure the admin project holds at least N servers named bench-001 ... bench-N.

    cloud_seed.py N [--batch 50]
    cloud_seed.py --delete          delete every bench-* server again

Missing names are booted in batches (one multi-create request per batch, min_count) and waited
for until ACTIVE; servers in ERROR are replaced. The admin quota is raised when N needs it.
"""
import argparse

import cloudlib as cl
from cloudlib import log


def main():
    p = argparse.ArgumentParser()
    p.add_argument('count', type=int, nargs='?')
    p.add_argument('--batch', type=int, default=50)
    p.add_argument('--delete', action='store_true', help='delete all bench-* servers')
    a = p.parse_args()
    if a.delete:
        return delete_all()
    if a.count is None:
        p.error('N is required')
    width = max(3, len(str(a.count)))
    wanted = ['bench-%0*d' % (width, i) for i in range(1, a.count + 1)]

    sess = cl.session()
    n = cl.nova(sess)
    image = cl.image_id(cl.glance(sess))
    servers = cl.list_servers(n)
    # servers in ERROR, and leftovers of an interrupted run (booted, never renamed)
    errors = [s for s in servers if s.name.startswith('bench-')
              and (s.status == 'ERROR' or s.name.startswith('bench-tmp-'))]
    if errors:
        log('deleting %d broken or leftover bench servers' % len(errors))
        cl.delete_and_wait(n, errors)
        servers = cl.list_servers(n)
    have = {s.name for s in servers}
    missing = [name for name in wanted if name not in have]
    log('%d servers in project admin, %d of %d bench servers present, %d to boot'
        % (len(servers), a.count - len(missing), a.count, len(missing)))
    if not missing:
        return

    # quota: room for everything plus some headroom for the tests themselves
    project = sess.get_project_id()
    q = n.quotas.get(project)
    need = len(servers) + len(missing) + 50
    if q.instances != -1 and q.instances < need:
        log('raising the admin instance quota to %d' % need)
        n.quotas.update(project, instances=need, cores=max(q.cores, 2 * need),
                        ram=max(q.ram, 2048 * need))

    for i in range(0, len(missing), a.batch):
        batch = missing[i:i + a.batch]
        cl.boot_named(n, batch, image, '1', tmp_prefix='bench-tmp', timeout=600)
        log('booted %s ... %s (%d)' % (batch[0], batch[-1], len(batch)))


def delete_all():
    n = cl.nova(cl.session())
    bench = [s for s in cl.list_servers(n) if s.name.startswith('bench-')]
    log('deleting %d bench-* servers' % len(bench))
    cl.delete_and_wait(n, bench, timeout=900)


if __name__ == '__main__':
    main()
