"""The virtual room: seats as booted systemd-nspawn containers on a Linux bridge."""
