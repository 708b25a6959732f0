"""Run an OpenStack console-script entry point that Debian's python3-* packages do not ship.

python3-nova, python3-glance and python3-neutron install the libraries but no /usr/bin/nova-*,
glance-* or neutron-* scripts (those come with the service packages, which pull in systemd,
libvirt, ...). This runs `<module>.main()` with argv[0] set to the program name:

    python3 run_entry.py nova-conductor nova.cmd.conductor --config-file nova.conf
"""
import importlib
import sys

if len(sys.argv) < 3:
    sys.exit("usage: run_entry.py PROGRAM MODULE [ARGS...]")
program, module = sys.argv[1], sys.argv[2]
sys.argv = [program] + sys.argv[3:]
sys.exit(importlib.import_module(module).main())
