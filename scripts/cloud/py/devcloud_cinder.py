"""The local cloud's Cinder backend: Cinder's own FakeLoggingVolumeDriver with file-backed volumes.

cinder.tests.fake_driver.FakeLoggingVolumeDriver (Debian's python3-cinder) fakes every LVM command,
so attaching, detaching and deleting work, but it keeps LVM's ``local_path``
(``/dev/mapper/cinder--volumes-volume--ID``): creating a volume from an image (what
``server create --boot-from-volume`` and ``openstack volume create --image`` ask for) runs a real
``qemu-img convert`` into that path and fails, as no such device exists. Here a volume's data is
a file in the state folder (``data/cinder-volumes/volume-ID``, made only when an image or a
volume is copied into it), so the image copy is real, and deleting the volume deletes the file.

cinder.conf: ``volume_driver = devcloud_cinder.FileVolumeDriver``; this file sits beside
run_entry.py, the first entry of cinder-volume's sys.path.
"""
import os

from cinder.tests import fake_driver

VOLUME_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, 'data', 'cinder-volumes')


class FileVolumeDriver(fake_driver.FakeLoggingVolumeDriver):
    """FakeLoggingVolumeDriver whose volumes are files in VOLUME_DIR (0700)."""

    def local_path(self, volume, vg=None):
        os.makedirs(VOLUME_DIR, mode=0o700, exist_ok=True)
        return os.path.normpath(os.path.join(VOLUME_DIR, volume['name']))

    def delete_volume(self, volume):
        try:
            os.unlink(self.local_path(volume))
        except FileNotFoundError:
            pass
