#!/usr/bin/env bash
# package.sh -- builds the Debian package build-pkg/hookd_<version>_<arch>.deb: the daemon,
# hookd-plugin-run, the bundled plugins and the SDK under /usr, the systemd unit, the sample
# configuration in /etc/hookd, logrotate and tmpfiles snippets, and the maintainer scripts
# (the hookd system user, /var/lib/hookd, /var/log/hookd). Install it with
#   dpkg -i build-pkg/hookd_*.deb
# Prints the package's path on its last line.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null

dir=build-pkg
version=$(sed -n 's/^project(hookd VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
arch=$(dpkg --print-architecture)
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr >/dev/null
cmake --build "$dir" -j"$(nproc)" --target hookd hookd-plugin-run log exec >/dev/null

stage=$dir/stage
rm -rf "$stage"
DESTDIR="$PWD/$stage" cmake --install "$dir" >/dev/null
install -D -m 0644 packaging/hookd.service "$stage/lib/systemd/system/hookd.service"
install -D -m 0644 packaging/hookd.logrotate "$stage/etc/logrotate.d/hookd"
install -D -m 0644 packaging/hookd.tmpfiles "$stage/usr/lib/tmpfiles.d/hookd.conf"
install -D -m 0644 packaging/etc/hookd.json "$stage/etc/hookd/hookd.json"
install -D -m 0644 packaging/etc/plugins.d/10-log.json "$stage/etc/hookd/plugins.d/10-log.json"
install -D -m 0644 README.md "$stage/usr/share/doc/hookd/README.md"

# Depends: the Debian packages that hold the shared libraries the binaries need directly.
owner() { # the package that holds library $1 (with or without the /usr of a merged /usr)
  dpkg -S "$1" 2>/dev/null || dpkg -S "${1#/usr}" 2>/dev/null || dpkg -S "/usr$1" 2>/dev/null || true
}
depends=
for bin in "$stage/usr/bin/hookd" "$stage/usr/bin/hookd-plugin-run"; do
  for soname in $(objdump -p "$bin" | awk '/NEEDED/{print $2}'); do
    path=$(ldd "$bin" | awk -v so="$soname" '$1 == so {print $3}')
    pkg=$(owner "$path" | head -n1 | cut -d: -f1)
    [[ -n $pkg ]] && depends="$depends $pkg"
  done
done
depends=$(tr ' ' '\n' <<<"$depends" | sed '/^$/d' | sort -u | paste -sd, - | sed 's/,/, /g')

mkdir -p "$stage/DEBIAN"
size=$(du -sk "$stage" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@DEPENDS@/$depends/" \
  -e "s/@SIZE@/$size/" packaging/debian/control.in >"$stage/DEBIAN/control"
install -m 0644 packaging/debian/conffiles "$stage/DEBIAN/conffiles"
install -m 0755 packaging/debian/postinst packaging/debian/prerm packaging/debian/postrm \
  "$stage/DEBIAN/"
deb=$dir/hookd_${version}_${arch}.deb
dpkg-deb --root-owner-group --build "$stage" "$deb" >/dev/null
echo "$deb"
