#!/bin/sh
# atomdav's Debian prerm: stop the service before its files go.
set -e
if [ "$1" = remove ] && [ -d /run/systemd/system ]; then
	systemctl disable --now atomdav.service >/dev/null 2>&1 || true
fi
exit 0
