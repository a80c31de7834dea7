#!/bin/sh
# atomdav's Debian postinst: the system user the service runs as, its
# folders, and systemd told about the unit. Safe to run again (upgrades,
# dpkg-reconfigure): it only creates what is missing.
set -e

if [ "$1" = configure ]; then
	if ! getent group atomdav >/dev/null; then
		addgroup --system atomdav >/dev/null 2>&1 || groupadd --system atomdav
	fi
	if ! getent passwd atomdav >/dev/null; then
		adduser --system --ingroup atomdav --home /var/lib/atomdav --no-create-home \
			--shell /usr/sbin/nologin --gecos "atomdav WebDAV server" atomdav >/dev/null 2>&1 ||
		useradd --system --gid atomdav --home-dir /var/lib/atomdav --no-create-home \
			--shell /usr/sbin/nologin --comment "atomdav WebDAV server" atomdav
	fi
	for d in /srv/atomdav /var/lib/atomdav /var/log/atomdav; do
		if [ ! -d "$d" ]; then
			install -d -o atomdav -g atomdav -m 0750 "$d"
		fi
	done
	if [ -z "$2" ]; then
		# First install: the configuration will hold password hashes.
		chgrp atomdav /etc/atomdav/atomdav.yaml
		chmod 0640 /etc/atomdav/atomdav.yaml
	fi
	if [ ! -e /etc/atomdav/users ]; then
		# The users file the configuration names ('atomdav user add').
		install -m 0640 -g atomdav /dev/null /etc/atomdav/users
	fi
	if [ -d /run/systemd/system ]; then
		systemctl daemon-reload >/dev/null 2>&1 || true
		if [ -n "$2" ] && systemctl is-active --quiet atomdav.service; then
			systemctl restart atomdav.service || true
		fi
	fi
	if [ -z "$2" ]; then
		echo "atomdav: add a user (sudo atomdav user add NAME --users-file /etc/atomdav/users), then: sudo systemctl enable --now atomdav"
	fi
fi
exit 0
