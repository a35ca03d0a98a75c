#!/bin/sh
# Builds opinio.jar: the binding's classes (package `opinio`, Java 11+) and libopinio.so at
# JNA's resource path for this platform (linux-x86-64/libopinio.so), so that a host needs
# only this JAR and JNA on its classpath: no -Djna.library.path, no LD_LIBRARY_PATH.
#
#   bindings/java/build-jar.sh [OUT.jar]          (default: <target>/release/opinio.jar)
#   java -cp jna.jar:opinio.jar:app.jar my.App
#
# JNA looks in jna.library.path, then the system's library folders, then the classpath, where
# it finds the JAR's copy (extracted to a temporary file): an explicit -Djna.library.path still
# wins.
#
# Environment:
#   OPINIO_PREBUILT_LIB  the libopinio.so to put in; without it `cargo build --release --lib`
#                        runs here and <target>/release/libopinio.so is taken
#   CARGO_TARGET_DIR     Cargo's target folder (default: target/ of this checkout)
#   JNA_JAR              JNA to compile against (default: /usr/share/java/jna.jar, Debian's
#                        libjna-java; or net.java.dev.jna:jna 5.x)
#   JAVAC, JAR           the JDK tools (default: javac, jar)
set -eu
repo=$(cd "$(dirname "$0")/../.." && pwd)
target=${CARGO_TARGET_DIR:-$repo/target}
case "$target" in /*) ;; *) target=$repo/$target ;; esac
out=${1:-$target/release/opinio.jar}
jna=${JNA_JAR:-/usr/share/java/jna.jar}
javac=${JAVAC:-javac}
jar=${JAR:-jar}

# JNA's name for this platform (com.sun.jna.Platform.RESOURCE_PREFIX).
case "$(uname -s)-$(uname -m)" in
    Linux-x86_64 | Linux-amd64) prefix=linux-x86-64 ;;
    Linux-aarch64 | Linux-arm64) prefix=linux-aarch64 ;;
    *) echo "build-jar.sh: no JNA resource prefix known for $(uname -s) $(uname -m)" >&2; exit 1 ;;
esac

[ -f "$jna" ] || { echo "build-jar.sh: $jna not found: apt-get install libjna-java, or set JNA_JAR" >&2; exit 1; }

if [ -n "${OPINIO_PREBUILT_LIB:-}" ]; then
    lib=$OPINIO_PREBUILT_LIB
    [ -d "$lib" ] && lib=$lib/libopinio.so
else
    (cd "$repo" && ${CARGO:-cargo} build --release --lib)
    lib=$target/release/libopinio.so
fi
[ -f "$lib" ] || { echo "build-jar.sh: $lib not found" >&2; exit 1; }

stage=$(mktemp -d "${TMPDIR:-/tmp}/opinio-jar.XXXXXX")
trap 'rm -rf "$stage"' EXIT INT TERM
mkdir -p "$stage/classes" "$stage/native/$prefix"
"$javac" --release 11 -Xlint:all -Werror -encoding UTF-8 -cp "$jna" -d "$stage/classes" "$repo"/bindings/java/src/opinio/*.java
cp "$lib" "$stage/native/$prefix/libopinio.so"
printf 'Automatic-Module-Name: opinio\n' >"$stage/manifest.txt"
mkdir -p "$(dirname "$out")"
rm -f "$out"
"$jar" --create --file "$out" --manifest "$stage/manifest.txt" -C "$stage/classes" . -C "$stage/native" "$prefix"
echo "$out"
