#!/bin/sh
# Installs the C library from a release build: header, shared and static library, and the
# pkg-config file, under PREFIX (default /usr/local).
#
#   cargo build --release
#   bindings/c/install.sh [PREFIX]
#   cc app.c $(PKG_CONFIG_PATH=PREFIX/lib/pkgconfig pkg-config --cflags --libs opinio)
#
# The shared library is installed as libopinio.so.VERSION with the links libopinio.so.ABI
# (its SONAME, what programs load) and libopinio.so (what the linker finds). TARGET_DIR
# overrides where the build is (default: target/release of this repository).
set -eu
repo=$(cd "$(dirname "$0")/../.." && pwd)
prefix=${1:-/usr/local}
target=${TARGET_DIR:-$repo/target/release}
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$repo/Cargo.toml" | head -n 1)
abi=$(sed -n 's/^pub const OPINIO_ABI_VERSION: u32 = \([0-9]*\);/\1/p' "$repo/src/ffi/version.rs")
[ -n "$version" ] && [ -n "$abi" ] || { echo "install.sh: cannot read the version or ABI version" >&2; exit 1; }
for f in libopinio.so libopinio.a; do
    [ -f "$target/$f" ] || { echo "install.sh: $target/$f not found, run cargo build --release" >&2; exit 1; }
done
libdir=$prefix/lib
includedir=$prefix/include
mkdir -p "$libdir/pkgconfig" "$includedir"
cp "$repo/include/opinio.h" "$includedir/opinio.h"
cp "$target/libopinio.so" "$libdir/libopinio.so.$version"
ln -sf "libopinio.so.$version" "$libdir/libopinio.so.$abi"
ln -sf "libopinio.so.$abi" "$libdir/libopinio.so"
cp "$target/libopinio.a" "$libdir/libopinio.a"
sed -e "s|@PREFIX@|$prefix|g" -e "s|@LIBDIR@|$libdir|g" -e "s|@INCLUDEDIR@|$includedir|g" \
    -e "s|@VERSION@|$version|g" "$repo/bindings/c/opinio.pc.in" > "$libdir/pkgconfig/opinio.pc"
echo "installed opinio $version (libopinio.so.$abi) under $prefix"
