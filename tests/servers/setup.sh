#!/usr/bin/env bash
# One-time system preparation for the server tests (tests/plugins/conftest.py).
#
# The SMB and IMAP tests start their own Samba (smbd) and Dovecot on 127.0.0.1 with
# configuration, password databases and data in a temporary folder. Both servers run
# as root and switch to a real Unix account for file and mail access, so that account
# must exist; an unprivileged one also lets the tests check permission errors (root
# would read everything). Nothing else on the system is changed.
#
# The inventory and distributed-scan tests start their own PostgreSQL (run as that
# same account: postgres refuses root) and RabbitMQ the same way.
#
# Run as root after `apt-get install -y samba dovecot-imapd`. Safe to run twice.
set -euo pipefail

USER_NAME="${PVSCAN_TEST_SERVER_USER:-pvscantest}"

if [ "$(id -u)" -ne 0 ]; then
    echo "setup.sh: must run as root" >&2
    exit 1
fi

if ! getent group "$USER_NAME" >/dev/null; then
    groupadd --system "$USER_NAME"
fi
if ! getent passwd "$USER_NAME" >/dev/null; then
    useradd --system --gid "$USER_NAME" --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin "$USER_NAME"
fi

# The distribution's own services are not needed (the tests start private ones on
# other ports); stop them if the package install started them, ignoring failures in
# containers without an init system.
for svc in smbd nmbd samba-ad-dc dovecot postgresql rabbitmq-server; do
    if command -v service >/dev/null 2>&1; then
        service "$svc" stop >/dev/null 2>&1 || true
    fi
done

for bin in smbd smbpasswd dovecot openssl; do
    if ! command -v "$bin" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$bin" ]; then
        echo "setup.sh: $bin is missing (apt-get install samba dovecot-imapd openssl)" >&2
        exit 1
    fi
done
echo "setup.sh: test user $USER_NAME ($(id -u "$USER_NAME")) ready"
