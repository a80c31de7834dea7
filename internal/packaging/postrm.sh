#!/bin/sh
# atomdav's Debian postrm. A purge removes the logs; the share
# (/srv/atomdav), the state (/var/lib/atomdav, properties and locks) and
# the atomdav user stay: they hold users' data.
set -e
if [ "$1" = purge ]; then
	rm -rf /var/log/atomdav
fi
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null 2>&1 || true
fi
exit 0
