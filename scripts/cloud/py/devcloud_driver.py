"""Nova's FakeDriver, but with consoles that reach real servers on 127.0.0.1, instances that
survive a nova-compute restart, and failures on demand.

Consoles (every instance gets the same one):

* get_vnc_console    -> the TigerVNC Xvnc started by up.sh (DEVCLOUD_VNC_PORT, default 5901)
* get_spice_console  -> the QEMU started by up.sh, SPICE without ticketing (DEVCLOUD_SPICE_PORT,
                        default 5930; no TLS port)
* get_serial_console -> serial_console.py started by up.sh (DEVCLOUD_SERIAL_PORT, default 10001)
* rdp and mks stay FakeDriver's; Nova refuses them before asking the driver ([rdp] and [mks]
  are off), which the refusal tests rely on.

Instances survive a restart: FakeDriver keeps instances in memory only, so a restarted
nova-compute no longer knows any server (power state NOSTATE, every action failing inside
compute). Here an instance this host does not know is adopted the first time Nova asks about it
(get_info, which nova-compute's init_host calls for every instance on the host), with the power
state Nova last recorded (or the one its vm_state implies).

Fault injection, for tests that need a failed action. A server whose NAME starts with
`fail-<action>` fails that action inside nova-compute, with the exception
`devcloud: injected failure of <action> for server <name> (...)`:

    fail-boot      spawn at boot        -> BuildAbortException: ERROR, fault "Build of instance
                                           <uuid> aborted: devcloud: injected failure of boot ..."
    fail-start     power_on (start)        fail-stop      power_off (stop)
    fail-reboot    reboot (soft, hard)     fail-pause     pause     fail-unpause   unpause
    fail-suspend   suspend                 fail-resume    resume
    fail-resize    migrate_disk_and_power_off (resize, migrate)
    fail-rebuild   spawn during a rebuild  fail-shelve    snapshot during shelve
    fail-unshelve  spawn during unshelve
    fail-console   every console (vnc, spice, serial) -> ConsoleTypeUnavailable: HTTP 400
                   "Unavailable console type <type>." as for a type turned off in nova.conf

Only the named action fails: `fail-start-1` boots, stops and is deleted normally. What Nova
makes of each failure (status, fault, instance action events) is in scripts/cloud/README.md.
Delete is never failed (a server that cannot be deleted would outlive every test).

Live migrations take time (FakeDriver finishes one at once): DEVCLOUD_LIVE_MIGRATION_SECONDS
(default 4; set by up.sh from LIVE_MIGRATION_SECONDS) or, per server, the metadata key
`devcloud_live_migration_seconds` (e.g. `openstack server set --property
devcloud_live_migration_seconds=60 SERVER`). While one runs, the migration is `running` and its
memory_*_bytes / disk_*_bytes progress (GET /servers/{id}/migrations) grows with the elapsed
time; live_migration_abort ends it as `cancelled` (server stays on the source),
live_migration_force_complete finishes it at once. `fail-livemigrate…` servers fail inside the
driver (migration `error`, server ERROR, as a failed hypervisor migration).

Snapshots (server image create, backup, shelve) upload a few bytes to the image, so Glance
makes it `active` (FakeDriver uploads nothing: the image stayed `queued`).
"""
import io
import os
import time

from nova.compute import power_state
from nova.compute import task_states
from nova.compute import vm_states
from nova.console import type as ctype
from nova import exception
from nova.virt import fake

CONSOLE_HOST = '127.0.0.1'
FAIL_PREFIX = 'fail-'
LIVE_MIGRATION_KEY = 'devcloud_live_migration_seconds'
LIVE_MIGRATION_STEP = 0.5   # seconds between progress updates
SNAPSHOT_BYTES = b'devcloud snapshot\n' + b'\0' * 1006   # 1 KiB, like the fixture images

# power state of an adopted instance when Nova's record says NOSTATE
_POWER_OF_VM_STATE = {
    vm_states.ACTIVE: power_state.RUNNING,
    vm_states.RESCUED: power_state.RUNNING,
    vm_states.RESIZED: power_state.RUNNING,
    vm_states.STOPPED: power_state.SHUTDOWN,
    vm_states.PAUSED: power_state.PAUSED,
    vm_states.SUSPENDED: power_state.SUSPENDED,
    vm_states.SHELVED: power_state.SHUTDOWN,
}


class InjectedFault(exception.NovaException):
    msg_fmt = ('devcloud: injected failure of %(action)s for server %(name)s '
               '(its name starts with fail-%(action)s)')


def _inject(instance, action):
    """Raise InjectedFault when the server's name starts with fail-<action>."""
    name = instance.display_name or ''
    if name.startswith(FAIL_PREFIX + action):
        raise InjectedFault(action=action, name=name)


def _live_migration_seconds(instance):
    """How long a live migration of this instance takes (s): its metadata, else the env."""
    try:
        value = (instance.metadata or {}).get(LIVE_MIGRATION_KEY)
    except Exception:   # metadata not loaded: the default
        value = None
    if value is None:
        value = os.environ.get('DEVCLOUD_LIVE_MIGRATION_SECONDS', '4')
    try:
        return max(0.0, float(value))
    except ValueError:
        return 4.0


class DevcloudFakeDriver(fake.FakeDriver):

    def __init__(self, virtapi, read_only=False):
        super().__init__(virtapi, read_only)
        self._live = {}   # instance uuid -> control flags of its running live migration

    # ------------------------------------------------------------------ consoles
    @staticmethod
    def _refuse_console(instance, console_type):
        if (instance.display_name or '').startswith(FAIL_PREFIX + 'console'):
            raise exception.ConsoleTypeUnavailable(console_type=console_type)

    def get_vnc_console(self, context, instance):
        self._refuse_console(instance, 'novnc')
        return ctype.ConsoleVNC(host=CONSOLE_HOST,
                                port=int(os.environ.get('DEVCLOUD_VNC_PORT', '5901')),
                                internal_access_path=None)

    def get_spice_console(self, context, instance):
        self._refuse_console(instance, 'spice-html5')
        return ctype.ConsoleSpice(host=CONSOLE_HOST,
                                  port=int(os.environ.get('DEVCLOUD_SPICE_PORT', '5930')),
                                  tlsPort=None, internal_access_path=None)

    def get_serial_console(self, context, instance):
        self._refuse_console(instance, 'serial')
        return ctype.ConsoleSerial(host=CONSOLE_HOST,
                                   port=int(os.environ.get('DEVCLOUD_SERIAL_PORT', '10001')))

    # ------------------------------------------------------------------ restart survival
    def _adopt(self, instance):
        """Track an instance Nova says is on this host but this process never booted."""
        if instance.uuid in self.instances or instance.vm_state not in _POWER_OF_VM_STATE:
            return
        state = instance.power_state or _POWER_OF_VM_STATE[instance.vm_state]
        self.instances[instance.uuid] = fake.FakeInstance(instance.name, state, instance.uuid)
        flavor = instance.flavor
        self.resources.claim(vcpus=flavor.vcpus, mem=flavor.memory_mb, disk=flavor.root_gb)

    def get_info(self, instance, use_cache=True):
        self._adopt(instance)
        return super().get_info(instance, use_cache)

    def _set_state(self, instance, state):
        self._adopt(instance)
        if instance.uuid not in self.instances:
            raise exception.InstanceNotFound(instance_id=instance.uuid)
        self.instances[instance.uuid].state = state

    # ------------------------------------------------------------------ actions (+ fault injection)
    def spawn(self, context, instance, image_meta, injected_files, admin_password, allocations,
              network_info=None, block_device_info=None, power_on=True, accel_info=None):
        if instance.task_state == task_states.REBUILD_SPAWNING:
            _inject(instance, 'rebuild')
        elif instance.vm_state == vm_states.SHELVED_OFFLOADED:
            _inject(instance, 'unshelve')
        elif instance.vm_state == vm_states.BUILDING:
            try:
                _inject(instance, 'boot')
            except InjectedFault as e:   # no reschedule: ERROR at once, with this fault
                raise exception.BuildAbortException(instance_uuid=instance.uuid, reason=e.format_message())
        super().spawn(context, instance, image_meta, injected_files, admin_password, allocations,
                      network_info=network_info, block_device_info=block_device_info,
                      power_on=power_on, accel_info=accel_info)

    def power_on(self, context, instance, network_info, block_device_info=None, accel_info=None):
        _inject(instance, 'start')
        self._set_state(instance, power_state.RUNNING)

    def power_off(self, instance, timeout=0, retry_interval=0):
        _inject(instance, 'stop')
        self._set_state(instance, power_state.SHUTDOWN)

    def reboot(self, context, instance, network_info, reboot_type, block_device_info=None,
               bad_volumes_callback=None, accel_info=None):
        self._adopt(instance)
        try:
            _inject(instance, 'reboot')
        except InjectedFault:
            # a reboot that fails with the guest still running is only logged by Nova (fault
            # recorded, server stays ACTIVE, event "Success"); leave it off, as a real failed
            # reboot does, so that Nova sets ERROR with the fault
            self._set_state(instance, power_state.SHUTDOWN)
            raise
        super().reboot(context, instance, network_info, reboot_type, block_device_info=block_device_info,
                       bad_volumes_callback=bad_volumes_callback, accel_info=accel_info)

    # FakeDriver's pause/suspend leave the power state RUNNING; a real hypervisor reports these
    def pause(self, instance):
        _inject(instance, 'pause')
        self._set_state(instance, power_state.PAUSED)

    def unpause(self, instance):
        _inject(instance, 'unpause')
        self._set_state(instance, power_state.RUNNING)

    def suspend(self, context, instance):
        _inject(instance, 'suspend')
        self._set_state(instance, power_state.SUSPENDED)

    def resume(self, context, instance, network_info, block_device_info=None):
        _inject(instance, 'resume')
        self._set_state(instance, power_state.RUNNING)

    # rescue powers the server off first (compute manager), then boots the rescue image
    def rescue(self, context, instance, network_info, image_meta, rescue_password, block_device_info):
        self._set_state(instance, power_state.RUNNING)

    def migrate_disk_and_power_off(self, context, instance, dest, flavor, network_info,
                                   block_device_info=None, timeout=0, retry_interval=0):
        _inject(instance, 'resize')
        return super().migrate_disk_and_power_off(context, instance, dest, flavor, network_info,
                                                  block_device_info, timeout, retry_interval)

    def snapshot(self, context, instance, image_id, update_task_state):
        if instance.task_state in (task_states.SHELVING, task_states.SHELVING_IMAGE_PENDING_UPLOAD,
                                   task_states.SHELVING_IMAGE_UPLOADING):
            _inject(instance, 'shelve')
        _inject(instance, 'snapshot')
        self._adopt(instance)
        super().snapshot(context, instance, image_id, update_task_state)
        # as a real driver does: upload the disk (a few bytes), so the image becomes active
        from nova.image import glance
        glance.API().update(context, image_id,
                            {'disk_format': 'raw', 'container_format': 'bare'},
                            data=io.BytesIO(SNAPSHOT_BYTES), purge_props=False)

    # ------------------------------------------------------------------ live migration that takes time
    def live_migration(self, context, instance, dest, post_method, recover_method,
                       block_migration=False, migrate_data=None):
        """Runs in nova-compute's live-migration thread pool (a green thread): sleeps through
        the migration, reporting progress on the migration record, unless aborted or forced."""
        self._adopt(instance)
        ctl = self._live[instance.uuid] = {'abort': False, 'complete': False}
        migration = getattr(migrate_data, 'migration', None) if migrate_data else None
        duration = _live_migration_seconds(instance)
        mem_total = instance.flavor.memory_mb * 1024 * 1024
        disk_total = instance.flavor.root_gb * 1024 ** 3 if block_migration else 0
        t0 = time.monotonic()
        try:
            while not (ctl['abort'] or ctl['complete']):
                done = 1.0 if duration <= 0 else min(1.0, (time.monotonic() - t0) / duration)
                if migration is not None:
                    migration.memory_total = mem_total
                    migration.memory_processed = int(mem_total * done)
                    migration.memory_remaining = mem_total - migration.memory_processed
                    migration.disk_total = disk_total
                    migration.disk_processed = int(disk_total * done)
                    migration.disk_remaining = disk_total - migration.disk_processed
                    try:
                        migration.save()
                    except Exception:   # progress is best effort
                        pass
                if done >= 1.0:
                    break
                time.sleep(min(LIVE_MIGRATION_STEP, max(0.05, duration * (1 - done))))
            _inject(instance, 'livemigrate')
        finally:
            self._live.pop(instance.uuid, None)
        if ctl['abort']:
            recover_method(context, instance, dest, migrate_data, migration_status='cancelled')
        else:
            post_method(context, instance, dest, block_migration, migrate_data)

    def live_migration_force_complete(self, instance):
        ctl = self._live.get(instance.uuid)
        if ctl:
            ctl['complete'] = True

    def live_migration_abort(self, instance):
        ctl = self._live.get(instance.uuid)
        if ctl:
            ctl['abort'] = True

    def post_live_migration(self, context, instance, block_device_info, migrate_data=None):
        # on the source, once the guest runs on the destination: forget it here
        self.instances.pop(instance.uuid, None)

    def destroy(self, context, instance, network_info, block_device_info=None, destroy_disks=True,
                destroy_secrets=True):
        self._adopt(instance)
        super().destroy(context, instance, network_info, block_device_info, destroy_disks, destroy_secrets)
