#!/bin/sh
# build.sh OUTDIR: compiles the app with the JDK and writes OUTDIR/hello.jar, an executable jar
# (Main-Class hearth.Hello). Jars are built at test time, never committed.
set -e
[ -n "$1" ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
src=$(cd "$(dirname "$0")" && pwd)/src
mkdir -p "$1/classes"
javac -nowarn -d "$1/classes" "$src/hearth/Hello.java"
jar --create --file "$1/hello.jar" --main-class hearth.Hello -C "$1/classes" .
rm -rf "$1/classes"
