"""Nova's FakeDriver, but with consoles that reach real servers on 127.0.0.1.

* get_vnc_console    -> the TigerVNC Xvnc started by up.sh (DEVCLOUD_VNC_PORT, default 5901)
* get_serial_console -> serial_console.py started by up.sh (DEVCLOUD_SERIAL_PORT, default 10001)

Everything else is nova.virt.fake.FakeDriver: instances exist in this process's memory only,
so they are lost when nova-compute restarts (up.sh then re-boots the fixture servers).
"""
import os

from nova.console import type as ctype
from nova.virt import fake

CONSOLE_HOST = '127.0.0.1'


class DevcloudFakeDriver(fake.FakeDriver):

    def get_vnc_console(self, context, instance):
        return ctype.ConsoleVNC(host=CONSOLE_HOST,
                                port=int(os.environ.get('DEVCLOUD_VNC_PORT', '5901')),
                                internal_access_path=None)

    def get_serial_console(self, context, instance):
        return ctype.ConsoleSerial(host=CONSOLE_HOST,
                                   port=int(os.environ.get('DEVCLOUD_SERIAL_PORT', '10001')))
