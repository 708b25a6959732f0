"""A stand-in for a VM's serial port, for nova-serialproxy to connect to.

Listens on 127.0.0.1:PORT (TCP). Each connection first receives "\r\n<name> login: " and then
gets every byte it sends echoed back, as a real serial console with a getty does. Any number of
clients at once (one thread each).

    python3 serial_console.py --port 10001 --name devcloud-vm1
"""
import argparse
import socketserver
import sys
import time


def log(msg):
    print(time.strftime('%Y-%m-%d %H:%M:%S'), msg, flush=True)


class EchoConsole(socketserver.BaseRequestHandler):
    def handle(self):
        peer = '%s:%d' % self.client_address[:2]
        log('connect ' + peer)
        total = 0
        try:
            self.request.sendall(self.server.banner)
            while True:
                data = self.request.recv(65536)
                if not data:
                    break
                total += len(data)
                self.request.sendall(data)
        except OSError as e:
            log('%s: %s' % (peer, e))
        log('disconnect %s (%d bytes echoed)' % (peer, total))


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--host', default='127.0.0.1')
    p.add_argument('--port', type=int, default=10001)
    p.add_argument('--name', default='devcloud-vm1', help='host name shown in the login prompt')
    a = p.parse_args()
    server = Server((a.host, a.port), EchoConsole)
    server.banner = ('\r\n%s login: ' % a.name).encode()
    log('serial console %s listening on %s:%d' % (a.name, a.host, a.port))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == '__main__':
    sys.exit(main())
