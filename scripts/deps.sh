#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Install the Debian packages the build, the tests and the guest harness need.
# Quick no-op when everything is present.
set -euo pipefail

PKGS=(
	build-essential pkg-config gcc make
	libgnutls28-dev libnl-3-dev libnl-genl-3-dev liburing-dev libkeyutils-dev
	libssl-dev libsystemd-dev
	keyutils qemu-system-x86 busybox-static cpio xz-utils kmod libnl-utils
	gnutls-bin openssl iproute2 perl procps python3 python3-cryptography xxd util-linux
	curl wrk strace valgrind systemd
	testssl.sh sslscan
	groff-base man-db
	gnuplot-nox
	clang libclang-rt-14-dev
	nfs-kernel-server nfs-common
	debootstrap
	dpkg-dev debhelper dh-dkms dkms lintian
)

missing=()
for p in "${PKGS[@]}"; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$st" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
